import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryTransaction } from '../src/core/db';
import { AppError } from '../src/core/errors';
import { IdempotencyStore, runOnce } from '../src/http/rest/idempotency';
import {
  caller,
  createTenant,
  driverName,
  expectError,
  holdAgentLock,
  http,
  type Response,
  rowsOf,
  startServer,
  storedSecrets,
  type Tenant,
  type TestServer,
  uniqueEmail,
} from './server';

/** Idempotency keys (docs/api.md "Idempotency keys"): one effect per key, the first answer replayed. */
let server: TestServer;
let tenant: Tenant;
let agentId: string;
let templateId: string;
beforeAll(async () => {
  server = await startServer({ config: { idempotencyTakeoverMs: TAKEOVER_MS } });
  tenant = await createTenant(server, 'Idempotent');
  agentId = (
    await caller(server, 'rest', tenant.adminToken)('agents.create', { name: 'A', instructions: 'i' })
  ).body.id;
  templateId = (
    await caller(
      server,
      'rest',
      tenant.adminToken,
    )('sessionTemplates.create', {
      name: 'Base',
      agentIds: [agentId],
    })
  ).body.id;
});
afterAll(() => server?.close());

/** Claims left unrenewed this long may be taken over (60 s in production). */
const TAKEOVER_MS = 1500;

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

  it('a key belongs to its caller: two admins using one key string each get their own request', async () => {
    const secondAdmin = await http(server, 'POST', '/api/v1/organization/members', {
      token: tenant.adminToken,
      body: { email: uniqueEmail('admin2'), password: 'password123', role: 'admin' },
    });
    expect(secondAdmin.status).toBe(201);
    const login = await http(server, 'POST', '/api/v1/auth/login', {
      body: { email: secondAdmin.body.email, password: 'password123' },
    });
    const body = { name: 'Shared key', agentIds: [agentId] };
    const mine = await post(server, '/api/v1/session-templates', body, 'shared');
    const theirs = await post(server, '/api/v1/session-templates', body, 'shared', login.body.accessToken);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await templatesNamed('Shared key')).toBe(2);

    // Another organization's admin, and an API key of this one, are other callers too.
    const other = await createTenant(server, 'Other idempotent');
    const otherAgent = (
      await caller(server, 'rest', other.adminToken)('agents.create', { name: 'B', instructions: 'i' })
    ).body.id;
    const foreign = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Shared key', agentIds: [otherAgent] },
      'shared',
      other.adminToken,
    );
    expect(foreign.status).toBe(201);
    expect(foreign.headers.get('idempotent-replayed')).toBeNull();
    const writeKey = await post(server, '/api/v1/api-keys', { name: 'w', scope: 'write' });
    const byKey = await post(server, '/api/v1/session-templates', body, 'shared', writeKey.body.secret);
    expect(byKey.status).toBe(201);
    expect(byKey.headers.get('idempotent-replayed')).toBeNull();
    expect(await templatesNamed('Shared key')).toBe(3);
  });

  it('access first: a member, a read key and no token get their own 401/403, never the kept answer', async () => {
    const readKey = (await post(server, '/api/v1/api-keys', { name: 'r', scope: 'read' })).body.secret;
    const writeKey = (await post(server, '/api/v1/api-keys', { name: 'w2', scope: 'write' })).body.secret;
    // A write key's creation, and a template created by an admin, each under one key string.
    const created = await post(server, '/api/v1/api-keys', { name: 'ci', scope: 'write' }, 'ci-1');
    expect(created.status).toBe(201);
    const template = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Admin only', agentIds: [agentId] },
      'ci-2',
    );
    expect(template.status).toBe(201);
    for (const [token, status, code] of [
      [tenant.memberToken, 403, 'FORBIDDEN'],
      [readKey, 403, 'FORBIDDEN'],
      [writeKey, 403, 'FORBIDDEN'], // keys never manage keys
      ['', 401, 'UNAUTHORIZED'],
      ['not-a-token', 401, 'UNAUTHORIZED'],
    ] as const) {
      const replay = await post(server, '/api/v1/api-keys', { name: 'ci', scope: 'write' }, 'ci-1', token);
      expectError(replay, status, code);
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
      expect(JSON.stringify(replay.body)).not.toMatch(/sbk_/);
    }
    for (const [token, status] of [
      [tenant.memberToken, 403],
      [readKey, 403],
      ['', 401],
    ] as const) {
      const replay = await post(
        server,
        '/api/v1/session-templates',
        { name: 'Admin only', agentIds: [agentId] },
        'ci-2',
        token,
      );
      expect(replay.status).toBe(status);
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
    }
    // A demoted admin loses the kept answer with the role.
    const demoted = await http(server, 'POST', '/api/v1/organization/members', {
      token: tenant.adminToken,
      body: { email: uniqueEmail('demoted'), password: 'password123', role: 'admin' },
    });
    const demotedToken = (
      await http(server, 'POST', '/api/v1/auth/login', {
        body: { email: demoted.body.email, password: 'password123' },
      })
    ).body.accessToken;
    const theirs = await post(
      server,
      '/api/v1/session-templates',
      { name: 'Demoted', agentIds: [agentId] },
      'demote',
      demotedToken,
    );
    expect(theirs.status).toBe(201);
    await http(server, 'PUT', `/api/v1/organization/members/${demoted.body.id}`, {
      token: tenant.adminToken,
      body: { role: 'member' },
    });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // demotion reaches every cache within 1 s
    expectError(
      await post(
        server,
        '/api/v1/session-templates',
        { name: 'Demoted', agentIds: [agentId] },
        'demote',
        demotedToken,
      ),
      403,
      'FORBIDDEN',
    );
  });

  it('a key creation is never replayed: 409 secretShown naming the key, and no secret is stored', async () => {
    const first = await post(server, '/api/v1/api-keys', { name: 'once', scope: 'read' }, 'key-once');
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/);
    const again = expectError(
      await post(server, '/api/v1/api-keys', { scope: 'read', name: 'once' }, 'key-once'),
      409,
      'CONFLICT',
    );
    expect(again.details).toEqual({ reason: 'secretShown', apiKeyId: first.body.apiKey.id });
    expect(JSON.stringify(again)).not.toContain(first.body.secret);
    const keys = (await caller(server, 'rest', tenant.adminToken)('apiKeys.list')).body.items;
    expect(keys.filter((key: { name: string }) => key.name === 'once')).toHaveLength(1);
    // A refused creation is kept and replayed like any refusal.
    const refused = await post(server, '/api/v1/api-keys', { name: '', scope: 'read' }, 'key-bad');
    expect(refused.status).toBe(400);
    const replayed = await post(server, '/api/v1/api-keys', { name: '', scope: 'read' }, 'key-bad');
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await storedSecrets(server)).toEqual([]);
  });

  it('signup and login ignore the header (no key is kept for them, whatever it holds)', async () => {
    const email = uniqueEmail('idem');
    const signup = { email, password: 'password123', organizationName: 'Signed once' };
    const first = await http(server, 'POST', '/api/v1/auth/signup', {
      body: signup,
      headers: { 'idempotency-key': 'é not even valid' },
    });
    expect(first.status).toBe(201);
    const second = await http(server, 'POST', '/api/v1/auth/signup', {
      body: signup,
      headers: { 'idempotency-key': email },
    });
    expectError(second, 409, 'CONFLICT'); // the email is taken: the request ran again
    const login = await http(server, 'POST', '/api/v1/auth/login', {
      body: { email, password: 'password123' },
      headers: { 'idempotency-key': email },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('idempotent-replayed')).toBeNull();
    expect(await storedSecrets(server)).toEqual([]);
    const [row] = rowsOf<{ n: number }>(
      await server.database.db.execute(
        sql`select count(*)::int as n from idempotency_keys where key = ${email} or body like '%accessToken%'`,
      ),
    );
    expect(row!.n).toBe(0);
  });

  it('the same request in any spelling replays: upper-case ids, reordered keys, defaults spelt out', async () => {
    const clone = await http(server, 'POST', `/api/v1/session-templates/${templateId.toUpperCase()}/clone`, {
      token: tenant.adminToken,
      headers: { 'idempotency-key': 'clone-once' },
    });
    expect(clone.status).toBe(201);
    for (const spelling of [templateId, templateId.toUpperCase()]) {
      const again = await http(server, 'POST', `/api/v1/session-templates/${spelling}/clone`, {
        token: tenant.adminToken,
        body: {},
        headers: { 'idempotency-key': 'clone-once' },
      });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.id).toBe(clone.body.id);
    }
    const create = await http(server, 'POST', '/api/v1/session-templates', {
      token: tenant.adminToken,
      body: `{"name":"Spelt","agentIds":["${agentId.toUpperCase()}"],"modalityProfile":"audio_only"}`,
      headers: { 'idempotency-key': 'spelt' },
    });
    expect(create.status).toBe(201);
    const reordered = await http(server, 'POST', '/api/v1/session-templates', {
      token: tenant.adminToken,
      body: `{"modalityProfile":"audio_only","agentIds":["${agentId}"],"name":"Spelt"}`,
      headers: { 'idempotency-key': 'spelt' },
    });
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
    expect(reordered.body).toEqual(create.body);
    expect(await templatesNamed('Spelt')).toBe(1);
    // Another value is another request.
    expectError(
      await post(
        server,
        '/api/v1/session-templates',
        { name: 'Spelt', agentIds: [agentId], modalityProfile: 'audio_camera' },
        'spelt',
      ),
      409,
      'CONFLICT',
    );
  });

  it('a replayed session config carries its ETag', async () => {
    const url = `/api/v1/session-templates/${templateId}/config`;
    const first = await post(server, url, { overrides: { idleTimeoutSeconds: 30 } }, 'config-once');
    expect(first.status).toBe(200);
    const again = await post(server, url, { overrides: { idleTimeoutSeconds: 30 } }, 'config-once');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('etag')).toBe(`"${first.body.etag}"`);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
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
      const first = await store.claim('user:test', 'running', 'hash-a');
      expect(first.kind).toBe('first');
      const running = await store.claim('user:test', 'running', 'hash-a').catch((error) => error);
      expect(running).toMatchObject({ code: 'CONFLICT', details: { reason: 'running' } });
      if (first.kind !== 'first') throw new Error('unreachable');
      expect(await store.complete('user:test', 'running', first.claimId, 201, '{"ok":true}')).toBe(true);
      expect(await store.claim('user:test', 'running', 'hash-a')).toEqual({
        kind: 'replay',
        status: 201,
        body: '{"ok":true}',
      });
      const other = await store.claim('user:test', 'running', 'hash-b').catch((error) => error);
      expect(other).toMatchObject({ code: 'CONFLICT', details: { reason: 'mismatch' } });
    } finally {
      store.close();
    }
  });

  it('an answer that asks for a retry (5xx, 429, 503, a raced write) is not kept; a refusal is', async () => {
    const store = new IdempotencyStore(server.database.db);
    const failing = (error: Error) => ({
      scope: 'user:retry',
      key: `k-${error.message}`,
      hash: 'h',
      keptBody: (body: string | null) => body,
      run: () => Promise.reject(error),
    });
    try {
      for (const error of [
        new AppError('TOO_MANY_REQUESTS', '429'),
        new AppError('SERVICE_UNAVAILABLE', '503'),
        new RetryTransaction('raced'),
        Object.assign(new Error('deadlock'), { code: '40P01' }),
        new Error('bug'),
      ]) {
        await expect(runOnce(store, failing(error))).rejects.toBe(error);
        // Released: the retry runs afresh, and this time answers.
        const retried = await runOnce(store, {
          ...failing(error),
          run: async () => ({ status: 201, body: '{"done":true}' }),
        });
        expect(retried, error.message).toEqual({ status: 201, body: '{"done":true}', replayed: false });
      }
      const refusal = new AppError('CONFLICT', 'stale', { currentVersion: 3 });
      await expect(runOnce(store, failing(refusal))).rejects.toBe(refusal);
      const replay = await runOnce(store, {
        ...failing(refusal),
        run: async () => ({ status: 201, body: '{}' }),
      });
      expect(replay.replayed).toBe(true);
      expect(replay.status).toBe(409);
      expect(JSON.parse(replay.body!)).toMatchObject({
        error: { code: 'CONFLICT', details: { currentVersion: 3 } },
      });
    } finally {
      store.close();
    }
  });

  it('a claim is renewed while its request runs; only an unrenewed one is taken over, and the first can no longer record', async () => {
    const store = new IdempotencyStore(server.database.db, { takeoverMs: TAKEOVER_MS });
    try {
      // A long first request: its repeat, after more than the takeover time, is still "running".
      let finish: () => void = () => {};
      const long = runOnce(store, {
        scope: 'user:long',
        key: 'k',
        hash: 'h',
        keptBody: (body) => body,
        run: () =>
          new Promise((resolve) => {
            finish = () => resolve({ status: 201, body: '{"run":1}' });
          }),
      });
      await new Promise((resolve) => setTimeout(resolve, TAKEOVER_MS * 2));
      await expect(store.claim('user:long', 'k', 'h')).rejects.toMatchObject({
        details: { reason: 'running' },
      });
      finish();
      expect(await long).toMatchObject({ status: 201, replayed: false });
      expect(await store.claim('user:long', 'k', 'h')).toMatchObject({ kind: 'replay', body: '{"run":1}' });

      // A claim nobody renews (its server died) is taken over after the takeover time, by the
      // database's clock; the first's late answer is then refused, and its release does nothing.
      const dead = await store.claim('user:dead', 'k', 'h');
      await expect(store.claim('user:dead', 'k', 'h')).rejects.toMatchObject({
        details: { reason: 'running' },
      });
      await server.database.db.execute(
        sql`update idempotency_keys set renewed_at = now() - interval '2 seconds' where scope = 'user:dead'`,
      );
      const taken = await store.claim('user:dead', 'k', 'h');
      expect(taken.kind).toBe('first');
      if (dead.kind !== 'first' || taken.kind !== 'first') throw new Error('unreachable');
      expect(await store.complete('user:dead', 'k', dead.claimId, 201, '{"late":true}')).toBe(false);
      await store.release('user:dead', 'k', dead.claimId);
      expect(await store.renew('user:dead', 'k', dead.claimId)).toBe(false);
      expect(await store.complete('user:dead', 'k', taken.claimId, 201, '{"second":true}')).toBe(true);
      expect(await store.claim('user:dead', 'k', 'h')).toMatchObject({
        kind: 'replay',
        body: '{"second":true}',
      });
    } finally {
      store.close();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)(
    'a first request held on a row lock for longer than the takeover time runs once; its repeats are 409 running, then replay',
    async () => {
      const lock = await holdAgentLock(server.database.url!, agentId);
      const body = { name: 'Held', agentIds: [agentId] };
      const first = post(server, '/api/v1/session-templates', body, 'held');
      const repeats: Response[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          await new Promise((resolve) => setTimeout(resolve, TAKEOVER_MS * 0.9));
          repeats.push(await post(server, '/api/v1/session-templates', body, 'held'));
        }
      } finally {
        await lock.release();
      }
      for (const repeat of repeats) {
        expect(expectError(repeat, 409, 'CONFLICT').details).toEqual({ reason: 'running' });
      }
      expect((await first).status).toBe(201);
      const replay = await post(server, '/api/v1/session-templates', body, 'held');
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual((await first).body);
      expect(await templatesNamed('Held')).toBe(1);
    },
  );

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
