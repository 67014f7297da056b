export { type BuildAppOptions, buildApp } from './app';
export { type AppConfig, loadConfig } from './config';
export { buildOpenApiDocument } from './rest/openapi';
export type { AppRouter, RouterInputs, RouterOutputs } from './router';
export { encodeCursor } from './services/pagination';
