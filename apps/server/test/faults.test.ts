import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, Socket } from 'node:net';
import { createDatabase, type Database } from '@switchboard/db';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from './processes';
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graceful shutdown', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('on SIGTERM drains (readiness 503, every request still served), then finishes in-flight requests, refuses new connections, and exits 0', async () => {
    const testDatabase = onPostgres ? await createTestDatabase() : undefined;
    const DRAIN_MS = 1500;
    const { child, url, exited } = await startProcess({
      DATABASE_URL: testDatabase?.url ?? '',
      DRAIN_MS: String(DRAIN_MS),
    });
    children.push(child);
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
    await sleep(300);
    const signalled = performance.now();
    child.kill('SIGTERM');
    await sleep(200);
    // Draining: the balancer is told to stop sending, and what still arrives is served.
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const late = await fetch(`${url}/api/v1/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'During the drain', instructions: 'i' }),
    });
    expect(late.status).toBe(201);
    expect(late.headers.get('connection')).toBe('close');
    // After the drain: no new connection; the held requests still finish.
    await sleep(DRAIN_MS + 300 - (performance.now() - signalled));
    const refused = await fetch(`${url}/health`).then(
      () => false,
      () => true,
    );
    await lock?.release();
    expect(await Promise.all(inFlight)).toEqual([201, 201, 201, 201, 201]);
    expect(refused).toBe(true);
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeGreaterThanOrEqual(DRAIN_MS);
    await testDatabase?.close();
  }, 150_000);

  it('a second signal during the drain exits at once; the hard deadline ends requests that never finish', async () => {
    const testDatabase = onPostgres ? await createTestDatabase() : undefined;
    const first = await startProcess({ DATABASE_URL: testDatabase?.url ?? '', DRAIN_MS: '20000' });
    children.push(first.child);
    const began = performance.now();
    first.child.kill('SIGTERM');
    await sleep(300);
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(503);
    first.child.kill('SIGINT');
    const { code, at } = await first.exited;
    expect(code).toBe(1);
    expect(at - began).toBeLessThan(5_000);

    if (testDatabase) {
      // A request held on a row lock past SHUTDOWN_TIMEOUT_MS: the process exits 1 when it passes.
      const second = await startProcess({
        DATABASE_URL: testDatabase.url!,
        DRAIN_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '60000',
      });
      children.push(second.child);
      const signup = await fetch(`${second.url}/api/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: 'deadline@example.com',
          password: 'password123',
          organizationName: 'D',
        }),
      }).then((r) => r.json() as Promise<{ accessToken: string }>);
      const headers = { authorization: `Bearer ${signup.accessToken}`, 'content-type': 'application/json' };
      const agent = await fetch(`${second.url}/api/v1/agents`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'A', instructions: 'i' }),
      }).then((r) => r.json() as Promise<{ id: string }>);
      const lock = await holdAgentLock(testDatabase.url!, agent.id);
      const held = fetch(`${second.url}/api/v1/session-templates`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Held', agentIds: [agent.id] }),
      }).catch(() => 'cut off');
      await sleep(300);
      const signalled = performance.now();
      second.child.kill('SIGTERM');
      const ended = await second.exited;
      expect(ended.code).toBe(1);
      expect(ended.at - signalled).toBeGreaterThanOrEqual(1000);
      expect(ended.at - signalled).toBeLessThan(10_000);
      expect(await held).toBe('cut off');
      await lock.release();
    }
    await testDatabase?.close();
  }, 150_000);
});
