export * from './agents';
export * from './organizations';
export * from './sessionTemplates';
