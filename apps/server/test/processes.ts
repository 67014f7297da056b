import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRODUCTION_NODE_FLAGS } from '../src/core/nodeFlags';

/**
 * Server processes as `pnpm start` runs them, for tests that signal, kill and restart them.
 */

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  exited: Promise<{ code: number | null; at: number }>;
  /** What it has written to stdout and stderr so far. */
  output(): string;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A server process from its sources (`src/main.ts`), or from a bundle `build.mjs` made (`entry`,
 * run as `pnpm start` runs it), on a free port, ready to serve.
 */
export async function startProcess(env: Record<string, string>, port?: number, entry = 'src/main.ts') {
  port ??= await freePort();
  const args = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [...PRODUCTION_NODE_FLAGS, entry];
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'switchboard-shutdown-')),
      JWT_SECRET: randomBytes(24).toString('hex'),
      LOG_LEVEL: process.env.DEBUG_SHUTDOWN ? 'info' : 'silent',
      AUTH_RATE_LIMIT: '0',
      ...env,
    },
    stdio: process.env.DEBUG_SHUTDOWN ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  let exitCode: number | null | undefined;
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve({ code, at: performance.now() });
    }),
  );
  // Start-up compiles the sources and opens the database; on a busy CI machine that can take a while.
  const startedBy = performance.now() + 90_000;
  let ready = false;
  while (!ready && exitCode === undefined && performance.now() < startedBy) {
    ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!ready) throw new Error(`the server did not become ready (exit code ${exitCode}):\n${output}`);
  return { child, url, port, exited, output: () => output } satisfies ServerProcess;
}
