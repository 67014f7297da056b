export * from './agents';
export * from './history';
export * from './organizations';
export * from './rateLimits';
export * from './sessionTemplates';
export * from './apiKeys';
