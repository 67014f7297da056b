export { type BuildAppOptions, buildApp } from './app';
export { type AppConfig, loadConfig } from './config';
export { buildOpenApiDocument } from './rest/openapi';
export type { AppRouter, RouterInputs, RouterOutputs } from './router';
export { PRODUCTION_NODE_FLAGS } from './runtime';
export { encodeCursor } from './services/pagination';
