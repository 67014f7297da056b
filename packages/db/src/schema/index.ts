export * from './agents';
export * from './organizations';
export * from './rateLimits';
export * from './sessionTemplates';
