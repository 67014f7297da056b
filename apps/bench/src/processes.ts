import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PRODUCTION_NODE_FLAGS } from '@switchboard/server';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface Started {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 of /health/ready. */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Starts an entry point (TypeScript through tsx, or built JavaScript) with the current Node binary
 * and the Node flags production uses, and waits for /health/ready (one that never gets there is
 * killed).
 */
export async function start(
  entry: string,
  env: Record<string, string | undefined>,
  nodeArgs: readonly string[] = PRODUCTION_NODE_FLAGS,
): Promise<Started> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...(entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry])],
    {
      cwd: REPO,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 600) {
      child.kill('SIGKILL');
      throw new Error(`${entry} did not become ready`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const readyMs = Math.round(performance.now() - began);
  return {
    child,
    url,
    readyMs,
    // The server drains and exits (SHUTDOWN_TIMEOUT_MS bounds it); one still up after 15 s is killed.
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const deadline = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(deadline);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
