export { type AppConfig, loadConfig } from './core/config';
export { PRODUCTION_NODE_FLAGS } from './core/nodeFlags';
export { encodeCursor } from './core/pagination';
export { type BuildAppOptions, buildApp } from './http/app';
export { buildOpenApiDocument } from './http/rest/openapi';
export type { AppRouter, RouterInputs, RouterOutputs } from './router';
