import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awayFromMinuteEdge,
  caller,
  createTenant,
  driverName,
  expectError,
  http,
  ok,
  startServer,
  type TestServer,
  transports,
  uniqueEmail,
} from './server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

function noHashAnywhere(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/scrypt\$/);
  expect(text).not.toMatch(/password/i);
}

describe.each(transports)(`auth and organization over %s (${driverName})`, (transport) => {
  it('signup creates an organization with the user as admin, and never returns a hash', async () => {
    const call = caller(server, transport);
    const email = uniqueEmail('Signup');
    const res = await call('auth.signup', {
      email: `  ${email.toUpperCase()} `,
      password: 'password123',
      fullName: 'Ada Admin',
      organizationName: '  Acme  ',
    });
    expect(res.status).toBe(ok(transport, 201));
    expect(res.body.user).toMatchObject({
      email: email.toLowerCase(),
      role: 'admin',
      isActive: true,
      fullName: 'Ada Admin',
    });
    expect(res.body.organization.name).toBe('Acme');
    expect(res.body.user.organizationId).toBe(res.body.organization.id);
    expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    noHashAnywhere({ ...res.body, accessToken: undefined });
  });

  it('refuses a taken email in any letter case with 409', async () => {
    const call = caller(server, transport);
    const email = uniqueEmail('dup');
    expect(
      (await call('auth.signup', { email, password: 'password123', organizationName: 'A' })).status,
    ).toBe(ok(transport, 201));
    const again = await call('auth.signup', {
      email: email.toUpperCase(),
      password: 'password123',
      organizationName: 'B',
    });
    expectError(again, 409, 'CONFLICT');
  });

  it('validates signup input: short password, long password, bad email, missing organization, unknown fields', async () => {
    const call = caller(server, transport);
    const base = { email: uniqueEmail(), password: 'password123', organizationName: 'Org' };
    for (const input of [
      { ...base, password: 'short' },
      { ...base, password: 'x'.repeat(129) },
      { ...base, email: 'not-an-email' },
      { ...base, organizationName: '   ' },
      { ...base, organizationName: 'x'.repeat(256) },
      { email: base.email, password: base.password },
      { ...base, role: 'admin' },
    ]) {
      const error = expectError(await call('auth.signup', input), 400, 'BAD_REQUEST');
      expect(error.details.issues.length).toBeGreaterThan(0);
    }
    const unknown = expectError(
      await call('auth.signup', { ...base, isActive: true, id: 'x' }),
      400,
      'BAD_REQUEST',
    );
    expect(unknown.details.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['isActive', 'id']),
    );
  });

  it('logs in case-insensitively; wrong password and unknown email get the same 401', async () => {
    const call = caller(server, transport);
    const email = uniqueEmail('login');
    await call('auth.signup', { email, password: 'password123', organizationName: 'L' });
    const good = await call('auth.login', { email: email.toUpperCase(), password: 'password123' });
    expect(good.status).toBe(200);
    expect(good.body.user.email).toBe(email);
    noHashAnywhere({ ...good.body, accessToken: undefined });

    const wrong = expectError(
      await call('auth.login', { email, password: 'password124' }),
      401,
      'UNAUTHORIZED',
    );
    const unknown = expectError(
      await call('auth.login', { email: uniqueEmail('nobody'), password: 'password123' }),
      401,
      'UNAUTHORIZED',
    );
    expect(wrong.message).toBe(unknown.message);
  });

  it('me answers the user and organization; without or with a bad token 401', async () => {
    const tenant = await createTenant(server);
    const me = await caller(server, transport, tenant.memberToken)('auth.me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: tenant.memberId, role: 'member' });
    expect(me.body.organization.id).toBe(tenant.organizationId);
    noHashAnywhere(me.body);

    expectError(await caller(server, transport)('auth.me'), 401, 'UNAUTHORIZED');
    expectError(await caller(server, transport, 'not-a-jwt')('auth.me'), 401, 'UNAUTHORIZED');
    const [header, payload] = tenant.adminToken.split('.');
    expectError(
      await caller(server, transport, `${header}.${payload}.forged`)('auth.me'),
      401,
      'UNAUTHORIZED',
    );
  });

  it('refuses expired tokens, tokens signed with another key, and alg none', async () => {
    const tenant = await createTenant(server);
    const claims = { org: tenant.organizationId, role: 'admin' };
    const key = new TextEncoder().encode(server.config.jwtSecret);
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(tenant.adminId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(tenant.adminId)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough!!'));
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: tenant.adminId, exp: 9999999999 })}.`;
    for (const token of [expired, otherKey, none]) {
      expectError(await caller(server, transport, token)('auth.me'), 401, 'UNAUTHORIZED');
    }
  });

  it('admins list and add members; members may not (403); a taken email is 409', async () => {
    const tenant = await createTenant(server);
    const admin = caller(server, transport, tenant.adminToken);
    const member = caller(server, transport, tenant.memberToken);

    const list = await admin('organization.listMembers');
    expect(list.status).toBe(200);
    expect(list.body.items.map((user: { id: string }) => user.id).sort()).toEqual(
      [tenant.adminId, tenant.memberId].sort(),
    );
    noHashAnywhere(list.body);

    const email = uniqueEmail('added');
    const added = await admin('organization.addMember', {
      email: email.toUpperCase(),
      password: 'password123',
      fullName: 'New Person',
      role: 'member',
    });
    expect(added.status).toBe(ok(transport, 201));
    expect(added.body).toMatchObject({ email, role: 'member', organizationId: tenant.organizationId });
    noHashAnywhere(added.body);
    expectError(
      await admin('organization.addMember', { email, password: 'password123', role: 'admin' }),
      409,
      'CONFLICT',
    );

    expectError(await member('organization.listMembers'), 403, 'FORBIDDEN');
    expectError(
      await member('organization.addMember', {
        email: uniqueEmail(),
        password: 'password123',
        role: 'member',
      }),
      403,
      'FORBIDDEN',
    );
    expectError(await caller(server, transport)('organization.listMembers'), 401, 'UNAUTHORIZED');
  });

  it('a deactivated user is locked out at once, a demoted admin loses admin rights, the last admin stays', async () => {
    const tenant = await createTenant(server);
    const admin = caller(server, transport, tenant.adminToken);

    const deactivated = await admin('organization.updateMember', { id: tenant.memberId, isActive: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.isActive).toBe(false);
    expectError(await caller(server, transport, tenant.memberToken)('auth.me'), 401, 'UNAUTHORIZED');
    await admin('organization.updateMember', { id: tenant.memberId, isActive: true });
    expect((await caller(server, transport, tenant.memberToken)('auth.me')).status).toBe(200);

    expectError(
      await admin('organization.updateMember', { id: tenant.adminId, role: 'member' }),
      409,
      'CONFLICT',
    );
    expectError(
      await admin('organization.updateMember', { id: tenant.adminId, isActive: false }),
      409,
      'CONFLICT',
    );

    await admin('organization.updateMember', { id: tenant.memberId, role: 'admin' });
    const demoted = await admin('organization.updateMember', { id: tenant.adminId, role: 'member' });
    expect(demoted.body.role).toBe('member');
    expectError(await admin('organization.listMembers'), 403, 'FORBIDDEN');

    const other = await createTenant(server);
    expectError(
      await caller(
        server,
        transport,
        other.adminToken,
      )('organization.updateMember', { id: tenant.memberId, role: 'member' }),
      404,
      'NOT_FOUND',
    );
  });
});

describe(`auth over HTTP (${driverName})`, () => {
  it('every response carries x-request-id, errors in the contract shape', async () => {
    const res = await http(server, 'GET', '/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
    expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), details: {} } });
    const trpc = await http(server, 'GET', '/trpc/auth.me');
    expect(trpc.status).toBe(401);
    expect(trpc.headers.get('x-request-id')).toBeTruthy();
    expect(trpc.body.error.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401, details: {} });
    expect(JSON.stringify(trpc.body)).not.toMatch(/stack/);
    const echoed = await http(server, 'GET', '/health', { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
  });

  it('two admins demoting each other at once leave one admin', async () => {
    const tenant = await createTenant(server);
    const admin = caller(server, 'rest', tenant.adminToken);
    await admin('organization.updateMember', { id: tenant.memberId, role: 'admin' });
    const other = caller(server, 'rest', tenant.memberToken);
    const results = await Promise.all([
      admin('organization.updateMember', { id: tenant.memberId, role: 'member' }),
      other('organization.updateMember', { id: tenant.adminId, role: 'member' }),
    ]);
    const statuses = results.map((result) => result.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const members = await caller(
      server,
      'rest',
      results[0]!.status === 200 ? tenant.adminToken : tenant.memberToken,
    );
    const list = await members('auth.me');
    expect(list.status).toBe(200);
  });

  it('parallel signups with one email: exactly one 201, the rest 409', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        http(server, 'POST', '/api/v1/auth/signup', {
          body: { email, password: 'password123', organizationName: 'R' },
        }),
      ),
    );
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });
});

describe('auth rate limit', () => {
  it('answers 429 with retry-after past AUTH_RATE_LIMIT attempts per minute', async () => {
    const limited = await startServer({ database: server.database, config: { authRateLimit: 3 } });
    try {
      await awayFromMinuteEdge();
      const attempt = () =>
        http(limited, 'POST', '/api/v1/auth/login', {
          body: { email: 'x@example.com', password: 'password123' },
        });
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      const blocked = await attempt();
      expectError(blocked, 429, 'TOO_MANY_REQUESTS');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      const viaTrpc = await http(limited, 'POST', '/trpc/auth.signup', {
        body: { email: uniqueEmail(), password: 'password123', organizationName: 'x' },
      });
      expect(viaTrpc.status).toBe(429);
      expect(viaTrpc.headers.get('retry-after')).toBeTruthy();
    } finally {
      await limited.close();
    }
  });
});
