import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../src/rest/idempotency';
import {
  caller,
  createTenant,
  driverName,
  expectError,
  http,
  type Response,
  startServer,
  type Tenant,
  type TestServer,
  uniqueEmail,
} from './server';

/** Idempotency keys (API.md "Idempotency keys"): one effect per key, the first answer replayed. */
let server: TestServer;
let tenant: Tenant;
let agentId: string;
beforeAll(async () => {
  server = await startServer();
  tenant = await createTenant(server, 'Idempotent');
  agentId = (
    await caller(server, 'rest', tenant.adminToken)('agents.create', { name: 'A', instructions: 'i' })
  ).body.id;
});
afterAll(() => server?.close());

function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

const post = (target: TestServer, url: string, body: unknown, key?: string, token = tenant.adminToken) =>
  http(target, 'POST', url, { token, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

async function templatesNamed(name: string): Promise<number> {
  const page = await caller(
    server,
    'rest',
    tenant.adminToken,
  )('sessionTemplates.list', { search: name, limit: 100 });
  return page.body.items.filter((item: { name: string }) => item.name === name).length;
}

describe(`idempotency keys (${driverName})`, () => {
  it('a repeat with the same key and body replays the first answer, marked, and does nothing', async () => {
    const body = { name: 'Once', agentIds: [agentId] };
    const first = await post(server, '/api/v1/session-templates', body, 'create-once-1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await fetch(`${server.url}/api/v1/session-templates`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenant.adminToken}`,
        'content-type': 'application/json',
        'idempotency-key': 'create-once-1',
      },
      body: JSON.stringify(body),
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(JSON.stringify(first.body));
    expect(await templatesNamed('Once')).toBe(1);
    // Without a key, the same body creates again.
    expect((await post(server, '/api/v1/session-templates', body)).status).toBe(201);
    expect(await templatesNamed('Once')).toBe(2);
  });

  it('the same key with another body is 409; a key is 1..255 printable characters', async () => {
    expect(
      (await post(server, '/api/v1/agents', { name: 'K', instructions: 'i' }, 'reused-key')).status,
    ).toBe(201);
    const other = expectError(
      await post(server, '/api/v1/agents', { name: 'K2', instructions: 'i' }, 'reused-key'),
      409,
      'CONFLICT',
    );
    expect(other.message).toMatch(/another request/);
    // Another route is another request too.
    expectError(
      await post(server, '/api/v1/session-templates', { name: 'K', instructions: 'i' }, 'reused-key'),
      409,
      'CONFLICT',
    );
    for (const bad of ['', 'x'.repeat(256), 'tab\there', 'é']) {
      const response = await fetch(`${server.url}/api/v1/agents`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tenant.adminToken}`,
          'content-type': 'application/json',
          'idempotency-key': bad,
        },
        body: JSON.stringify({ name: 'Bad key', instructions: 'i' }),
      }).catch(() => null);
      if (response) expect(response.status, JSON.stringify(bad)).toBe(400);
    }
    expect(
      (await post(server, '/api/v1/agents', { name: 'Long', instructions: 'i' }, 'k'.repeat(255))).status,
    ).toBe(201);
  });

  it('keys belong to an organization (and to a client address for signup and login); a refusal is replayed too', async () => {
    const other = await createTenant(server, 'Other idempotent');
    const otherAgent = (
      await caller(server, 'rest', other.adminToken)('agents.create', { name: 'B', instructions: 'i' })
    ).body.id;
    const mine = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Shared key', agentIds: [agentId] },
      'shared',
    );
    const theirs = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Shared key', agentIds: [otherAgent] },
      'shared',
      other.adminToken,
    );
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();

    const email = uniqueEmail('idem');
    const signup = { email, password: 'password123', organizationName: 'Signed once' };
    const first = await http(server, 'POST', '/api/v1/auth/signup', {
      body: signup,
      headers: { 'idempotency-key': email },
    });
    const second = await http(server, 'POST', '/api/v1/auth/signup', {
      body: signup,
      headers: { 'idempotency-key': email },
    });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');

    const refused = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Bad', agentIds: [] },
      'refused-once',
    );
    expect(refused.status).toBe(400);
    const replayed = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Bad', agentIds: [] },
      'refused-once',
    );
    expect(replayed.status).toBe(400);
    expect(replayed.body).toEqual(refused.body);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    // No credentials: the request is refused as usual and keeps no key.
    expectError(
      await post(server, '/api/v1/agents', { name: 'x', instructions: 'i' }, 'anonymous', ''),
      401,
      'UNAUTHORIZED',
    );
  });

  it('20 simultaneous requests with one key on two instances create exactly one template', async () => {
    const second = await startServer({ database: server.database });
    try {
      for (let round = 0; round < 3; round++) {
        const name = `Raced ${round}`;
        const responses: Response[] = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            post(
              i % 2 ? second : server,
              '/api/v1/session-templates',
              { name, agentIds: [agentId] },
              `race-${round}`,
            ),
          ),
        );
        const created = responses.filter(
          (r) => r.status === 201 && r.headers.get('idempotent-replayed') === null,
        );
        expect(created).toHaveLength(1);
        for (const response of responses) {
          if (response.status === 201) expect(response.body).toEqual(created[0]!.body);
          else expect(response.status, JSON.stringify(response.body)).toBe(409);
        }
        expect(await templatesNamed(name)).toBe(1);
      }
    } finally {
      await second.close();
    }
  });

  it('a repeat while the first request still runs is 409; once it has answered, the repeat replays it', async () => {
    const store = new IdempotencyStore(server.database.db);
    try {
      expect(await store.claim('organization:test', 'running', 'hash-a')).toEqual({ kind: 'first' });
      const running = await store.claim('organization:test', 'running', 'hash-a').catch((error) => error);
      expect(running).toMatchObject({ code: 'CONFLICT', details: { reason: 'running' } });
      await store.complete('organization:test', 'running', 201, '{"ok":true}');
      expect(await store.claim('organization:test', 'running', 'hash-a')).toEqual({
        kind: 'replay',
        status: 201,
        body: '{"ok":true}',
      });
      const other = await store.claim('organization:test', 'running', 'hash-b').catch((error) => error);
      expect(other).toMatchObject({ code: 'CONFLICT', details: { reason: 'mismatch' } });
    } finally {
      store.close();
    }
  });

  it('keys expire after 24 hours and are purged, so storage does not grow without bound', async () => {
    const db = server.database.db;
    expect((await post(server, '/api/v1/agents', { name: 'Old', instructions: 'i' }, 'old-key')).status).toBe(
      201,
    );
    const count = async () =>
      rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from idempotency_keys where key = 'old-key'`),
      )[0]!.n;
    expect(await count()).toBe(1);
    const [row] = rowsOf<{ hours: number }>(
      await db.execute(
        sql`select extract(epoch from expires_at - created_at) / 3600 as hours from idempotency_keys where key = 'old-key'`,
      ),
    );
    expect(Number(row!.hours)).toBeCloseTo(24, 5);
    // A day later: the same key is free again, and a purge removes what expired.
    await db.execute(
      sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'old-key'`,
    );
    const store = new IdempotencyStore(db);
    try {
      expect(await store.purge()).toBeGreaterThanOrEqual(1);
      expect(await count()).toBe(0);
    } finally {
      store.close();
    }
    expect((await post(server, '/api/v1/agents', { name: 'New', instructions: 'i' }, 'old-key')).status).toBe(
      201,
    );
    await db.execute(
      sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'old-key'`,
    );
    const reused = await post(server, '/api/v1/agents', { name: 'Newer', instructions: 'i' }, 'old-key');
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
  });
});
