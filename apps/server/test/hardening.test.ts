import { Writable } from 'node:stream';
import { users } from '@switchboard/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTOR_TTL_MS, ActorCache } from '../src/features/auth/actors';
import {
  awayFromMinuteEdge,
  caller,
  createTenant,
  driverName,
  expectError,
  http,
  startServer,
  type TestServer,
  uniqueEmail,
} from './server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: { corsOrigins: ['https://app.example.com'] } });
});
afterAll(() => server?.close());

describe(`security (${driverName})`, () => {
  it('sends security headers, and CORS only to allowed origins', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { origin: 'https://app.example.com' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('strict-transport-security')).toBeTruthy();
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    // Every answer carries them: a refused call, an unknown route, a tRPC error.
    for (const path of ['/api/v1/session-templates', '/api/v1/nope', '/trpc/auth.me']) {
      const refused = await fetch(server.url + path);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
      expect(refused.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
      expect(refused.headers.get('referrer-policy')).toBe('no-referrer');
      expect(refused.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    }
    const other = await fetch(`${server.url}/health`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/api/v1/session-templates`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('JSON nested deeper than 64 levels is 400 everywhere, with or without an Idempotency-Key; 64 levels are read', async () => {
    const tenant = await createTenant(server, 'Deep');
    const nested = (depth: number) =>
      `{"name":"Deep","instructions":"i","tools":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    const send = (body: string, headers: Record<string, string> = {}, path = '/api/v1/agents') =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tenant.adminToken}`,
          'content-type': 'application/json',
          ...headers,
        },
        body,
      });
    for (const depth of [65, 5_000]) {
      for (const headers of [{}, { 'idempotency-key': `deep-${depth}` }] as Record<string, string>[]) {
        const response = await send(nested(depth), headers);
        expect(response.status, `${depth} ${JSON.stringify(headers)}`).toBe(400);
        expect(await response.json()).toMatchObject({
          error: { code: 'BAD_REQUEST', message: expect.stringMatching(/64 levels/) },
        });
      }
      const trpc = await send(nested(depth), {}, '/trpc/agents.create');
      expect(trpc.status).toBe(400);
      expect(await trpc.json()).toMatchObject({ error: { data: { code: 'BAD_REQUEST' } } });
    }
    // 64 levels are within the limit: the schema speaks of the tools, not of the nesting.
    const within = await send(nested(64), { 'idempotency-key': 'deep-64' });
    expect(within.status).toBe(400);
    expect(JSON.stringify(await within.json())).toContain('tools');
    // Brackets inside strings are text, not nesting.
    const text = await send(JSON.stringify({ name: 'Brackets', instructions: '['.repeat(500) }));
    expect(text.status).toBe(201);
  });

  it('login takes as long for an unknown email as for a wrong password', async () => {
    const email = uniqueEmail('timing');
    await http(server, 'POST', '/api/v1/auth/signup', {
      body: { email, password: 'password123', organizationName: 'T' },
    });
    const time = async (body: unknown) => {
      const began = performance.now();
      expect((await http(server, 'POST', '/api/v1/auth/login', { body })).status).toBe(401);
      return performance.now() - began;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      wrong.push(await time({ email, password: 'wrong-password' }));
      unknown.push(await time({ email: uniqueEmail('nobody'), password: 'wrong-password' }));
    }
    // Both verify one scrypt hash (tens of ms); without the decoy an unknown email answers in ~1 ms.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2);
  });

  it('refuses passwords over 128 characters before hashing them', async () => {
    const res = await http(server, 'POST', '/api/v1/auth/login', {
      body: { email: 'a@example.com', password: 'x'.repeat(100_000) },
    });
    expectError(res, 400, 'BAD_REQUEST');
  });

  it("never writes a password, a hash, a token or a failed query's parameters to the log, at any depth", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startServer({
      database: server.database,
      logger: { level: 'trace', stream },
    });
    const secrets: string[] = [];
    const secret = (label: string) => {
      const value = `${label}-${Math.random().toString(36).slice(2)}`;
      secrets.push(value);
      return value;
    };
    try {
      const email = uniqueEmail('logged');
      const signup = await http(logged, 'POST', '/api/v1/auth/signup', {
        body: { email, password: secret('signup-password'), organizationName: 'L' },
      });
      secrets.push(signup.body.accessToken);
      await http(logged, 'GET', '/api/v1/auth/me', { token: signup.body.accessToken });
      await http(logged, 'POST', '/trpc/auth.login', { body: { email, password: secret('wrong-password') } });
      await http(logged, 'POST', '/api/v1/organization/members', {
        token: signup.body.accessToken,
        body: { email: uniqueEmail('m'), password: secret('member-password'), role: 'member' },
      });
      const bogus = secret('not.a.valid-token');
      await http(logged, 'GET', '/api/v1/auth/me', { token: bogus });

      // An unexpected database failure while a user is written: the failed query's parameters
      // (the email and the password hash) must not reach the log with the error.
      await server.database.db.execute(sql`
        create or replace function refuse_logged_users() returns trigger language plpgsql as $$
        begin
          if new.email like 'refused-%' then raise exception 'refused by a test trigger'; end if;
          return new;
        end $$`);
      await server.database.db.execute(
        sql`create trigger refuse_logged_users before insert on users for each row execute function refuse_logged_users()`,
      );
      try {
        const failed = await http(logged, 'POST', '/api/v1/auth/signup', {
          body: {
            email: uniqueEmail('refused'),
            password: secret('failed-signup-password'),
            organizationName: 'F',
          },
        });
        expect(failed.status).toBe(500);
      } finally {
        await server.database.db.execute(sql`drop trigger refuse_logged_users on users`);
      }

      // Whatever a future log line carries, at any depth, in any field or inside text.
      logged.app.log.error({
        req: { headers: { authorization: `Bearer ${secret('header-token')}` } },
        deep: { a: { b: { c: [{ password: secret('deep-password'), passwordHash: secret('deep-hash') }] } } },
        note: `sent Bearer ${secret('inline-token')} with sbk_${secret('key')}`,
        err: new Error('failed', { cause: { params: [secret('cause-param')] } }),
      });
      const log = lines.join('');
      expect(log).toContain('request completed');
      expect(log).toContain('refused by a test trigger');
      expect(log).toContain('[redacted]');
      expect(log).not.toContain('scrypt$');
      for (const value of secrets) expect(log).not.toContain(value);
    } finally {
      await logged.close();
    }
  });
});

describe(`several server instances on one database (${driverName})`, () => {
  it('a deactivated user is refused by every instance within one second', async () => {
    const second = await startServer({ database: server.database });
    try {
      const tenant = await createTenant(server);
      const onSecond = caller(second, 'rest', tenant.memberToken);
      expect((await onSecond('auth.me')).status).toBe(200);
      await caller(
        server,
        'rest',
        tenant.adminToken,
      )('organization.updateMember', {
        id: tenant.memberId,
        isActive: false,
      });
      expectError(await caller(server, 'rest', tenant.memberToken)('auth.me'), 401, 'UNAUTHORIZED');
      // The other instance refuses it within a second (asked every 20 ms until then).
      await expect
        .poll(async () => (await onSecond('auth.me')).status, { timeout: 1000, interval: 20 })
        .toBe(401);
      expectError(await onSecond('auth.me'), 401, 'UNAUTHORIZED');
    } finally {
      await second.close();
    }
  });

  it('an authenticated request costs no user query while the caller is cached, for at most ACTOR_TTL_MS', async () => {
    const tenant = await createTenant(server);
    const actors = new ActorCache(server.database.db);
    expect(await actors.get(tenant.memberId)).toMatchObject({ role: 'member' });
    // Deactivated behind the cache's back: it keeps answering from memory until its entry expires.
    await server.database.db.update(users).set({ isActive: false }).where(eq(users.id, tenant.memberId));
    expect(await actors.get(tenant.memberId)).toMatchObject({ role: 'member' });
    await expect
      .poll(() => actors.get(tenant.memberId), { timeout: ACTOR_TTL_MS + 50, interval: 20 })
      .toBeNull();
  });

  it('shares the auth rate limit between instances', async () => {
    const first = await startServer({ database: server.database, config: { authRateLimit: 4 } });
    const second = await startServer({ database: server.database, config: { authRateLimit: 4 } });
    try {
      await awayFromMinuteEdge();
      const attempt = (target: TestServer) =>
        http(target, 'POST', '/api/v1/auth/login', {
          body: { email: 'rl@example.com', password: 'password123' },
        });
      const statuses = [];
      for (const target of [first, second, first, second]) statuses.push((await attempt(target)).status);
      expect(statuses).toEqual([401, 401, 401, 401]);
      const blocked = await attempt(second);
      expectError(blocked, 429, 'TOO_MANY_REQUESTS');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expectError(await attempt(first), 429, 'TOO_MANY_REQUESTS');
    } finally {
      await first.close();
      await second.close();
    }
  });
});
