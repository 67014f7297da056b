export * from './agents';
export * from './auth';
export * from './common';
export * from './enumSchemas';
export * from './enums';
export * from './history';
export * from './sessionTemplates';
export * from './templateRules';
