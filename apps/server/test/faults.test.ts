import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database } from '@switchboard/db';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, expectError, holdAgentLock, http, startServer, type TestServer } from './server';

const onPostgres = Boolean(process.env.DATABASE_URL);

/** A TCP proxy in front of PostgreSQL that a test can cut (every connection dropped, new ones refused) and restore. */
class CuttableProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  async listen(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(5432, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async cut(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

describe.skipIf(!onPostgres)('database faults (PostgreSQL)', () => {
  let testDatabase: TestDatabase;
  let proxied: Database;
  let proxy: CuttableProxy;
  let server: TestServer;
  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    proxy = new CuttableProxy();
    await proxy.listen();
    const url = new URL(testDatabase.url!);
    url.host = `127.0.0.1:${proxy.port}`;
    proxied = await createDatabase({ url: url.toString(), statementTimeoutMs: 1000 });
    server = await startServer({
      database: { ...proxied, url: url.toString() },
      config: { statementTimeoutMs: 1000 },
    });
  });
  afterAll(async () => {
    await server?.close();
    await proxied?.close().catch(() => {});
    await testDatabase?.close();
  });

  it('fails fast with 503 while the database is unreachable, and recovers by itself', async () => {
    const tenant = await createTenant(server);
    const list = () => http(server, 'GET', '/api/v1/session-templates', { token: tenant.memberToken });
    expect((await list()).status).toBe(200);

    await proxy.cut();
    const began = performance.now();
    const down = await list();
    expectError(down, 503, 'SERVICE_UNAVAILABLE');
    expect(performance.now() - began).toBeLessThan(6000);
    expect(down.headers.get('x-request-id')).toBeTruthy();
    expectError(await http(server, 'GET', '/health/ready'), 503, 'SERVICE_UNAVAILABLE');
    expect((await http(server, 'GET', '/health')).status).toBe(200);

    await proxy.listen();
    let recovered = false;
    for (let attempt = 0; attempt < 50 && !recovered; attempt++) {
      recovered = (await list()).status === 200;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(recovered).toBe(true);
    expect((await http(server, 'GET', '/health/ready')).status).toBe(200);
  });

  it('bounds every query with the statement timeout (503, nothing written)', async () => {
    const tenant = await createTenant(server);
    const admin = (
      await http(server, 'POST', '/api/v1/agents', {
        token: tenant.adminToken,
        body: { name: 'A', instructions: 'i' },
      })
    ).body;
    const lock = await holdAgentLock(testDatabase.url!, admin.id);
    try {
      const began = performance.now();
      const res = await http(server, 'POST', '/api/v1/session-templates', {
        token: tenant.adminToken,
        body: { name: 'Blocked', agentIds: [admin.id] },
      });
      expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(performance.now() - began).toBeLessThan(3000);
      await lock.release();
      const list = await http(server, 'GET', '/api/v1/session-templates', { token: tenant.adminToken });
      expect(list.body.items).toEqual([]);
    } finally {
      await lock.release();
    }
  });
});

/** A port nothing listens on right now: the kernel picks it, we release it for the child. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('graceful shutdown', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('on SIGTERM finishes in-flight requests, refuses new connections, and exits 0', async () => {
    const testDatabase = onPostgres ? await createTestDatabase() : undefined;
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: testDatabase?.url ?? '',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'switchboard-shutdown-')),
        JWT_SECRET: randomBytes(24).toString('hex'),
        LOG_LEVEL: process.env.DEBUG_SHUTDOWN ? 'info' : 'silent',
        AUTH_RATE_LIMIT: '0',
      },
      stdio: process.env.DEBUG_SHUTDOWN ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const url = `http://127.0.0.1:${port}`;
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => {
        exitCode = code;
        resolve(code);
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
    const signup = await fetch(`${url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'shutdown@example.com', password: 'password123', organizationName: 'S' }),
    }).then((r) => r.json() as Promise<{ accessToken: string; organization: { id: string } }>);
    const headers = { authorization: `Bearer ${signup.accessToken}`, 'content-type': 'application/json' };
    const agent = await fetch(`${url}/api/v1/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'A', instructions: 'i' }),
    }).then((r) => r.json() as Promise<{ id: string }>);

    // Keep requests in flight: on PostgreSQL, hold the agent's row lock from outside (a template
    // create waits for it to share the agent).
    const lock = testDatabase ? await holdAgentLock(testDatabase.url!, agent.id) : undefined;
    const inFlight = Array.from({ length: 5 }, (_, i) =>
      fetch(`${url}/api/v1/session-templates`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: `In flight ${i}`, agentIds: [agent.id] }),
      }).then((r) => r.status),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await fetch(`${url}/health`).then(
      () => false,
      () => true,
    );
    await lock?.release();
    expect(await Promise.all(inFlight)).toEqual([201, 201, 201, 201, 201]);
    expect(refused).toBe(true);
    expect(await exited).toBe(0);
    await testDatabase?.close();
  }, 150_000);
});
