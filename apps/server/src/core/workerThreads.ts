import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside its caller (`callerUrl`, its import.meta.url):
 * the bundled `name.mjs` beside `dist/main.mjs` when the server runs built (build.mjs bundles each
 * worker entry), or the TypeScript source through tsx when it runs from its sources (tests, dev).
 */
export function startWorker(name: string, callerUrl: string): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.mjs`, callerUrl));
  return new Worker(new URL('./tsWorker.mjs', import.meta.url), {
    workerData: { entry: new URL(`./${name}.ts`, callerUrl).href },
  });
}
