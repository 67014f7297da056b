export { type BuildAppOptions, buildApp } from './app';
export { type AppConfig, loadConfig } from './config';
export type { AppRouter, RouterInputs, RouterOutputs } from './router';
export { encodeCursor } from './services/pagination';
