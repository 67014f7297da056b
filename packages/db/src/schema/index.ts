export * from './agents';
export * from './apiKeys';
export * from './history';
export * from './organizations';
export * from './rateLimits';
export * from './sessionTemplates';
