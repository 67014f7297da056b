// A TypeScript worker entry run from the sources (core/workerThreads.ts): tsx first, then the entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
