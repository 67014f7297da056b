export * from './agents';
export * from './apiKeys';
export * from './environments';
export * from './history';
export * from './idempotency';
export * from './organizations';
export * from './rateLimits';
export * from './sessionTemplates';
