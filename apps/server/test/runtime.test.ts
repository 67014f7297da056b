import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOperations } from '../src/http/rest/routes';
import {
  type Call,
  caller,
  capturedLog,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  http,
  MISSING_ID,
  ok,
  requestProcedures,
  startServer,
  storedSecrets,
  type Tenant,
  type TestServer,
  transports,
  uniqueEmail,
} from './server';

/**
 * What the session runtime relies on (docs/api.md "API keys", "Session config"): keys with scopes over
 * every procedure, revoke and expiry across instances, a secret that is never shown twice nor
 * logged, and the session config with its ETag and overrides.
 */
const log = capturedLog();
const logLines = log.lines;
let server: TestServer;
let tenant: Tenant;
beforeAll(async () => {
  server = await startServer({ logger: log.logger, config: { apiKeyUsageFlushMs: 200 } });
  tenant = await createTenant(server, 'Runtime');
});
afterAll(() => server?.close());

async function createKey(scope: 'read' | 'write', extra: Record<string, unknown> = {}, target = server) {
  const created = await caller(
    target,
    'rest',
    tenant.adminToken,
  )('apiKeys.create', { name: `${scope} key`, scope, ...extra });
  const key = expectStatus(created, 201) as { apiKey: any; secret: string };
  secrets.push(key.secret);
  return key;
}

/** Every secret this file was shown. */
const secrets: string[] = [];

/** A template of 3 agents, as the runtime reads it. */
async function threeAgentTemplate(admin: Call) {
  const greeter = expectStatus(await admin('agents.create', { name: 'Greeter', instructions: 'Hi' }), 201);
  const coder = expectStatus(
    await admin('agents.create', {
      name: 'Coder',
      instructions: 'Code',
      modality: 'audio_screenshare',
      panels: ['coding_ide', 'notepad'],
    }),
    201,
  );
  const coach = expectStatus(
    await admin('agents.create', {
      name: 'Coach',
      instructions: 'Coach',
      modality: 'audio_camera',
      panels: ['whiteboard'],
    }),
    201,
  );
  const template = expectStatus(
    await admin('sessionTemplates.create', {
      name: 'Interview',
      agentIds: [coder.id, greeter.id, coach.id],
      modalityProfile: 'audio_camera_screenshare',
      enabledPanels: ['coding_ide', 'whiteboard', 'notepad'],
      maxDurationSeconds: 3600,
      idleTimeoutSeconds: 300,
    }),
    201,
  );
  return { greeter, coder, coach, template };
}

describe(`API keys (${driverName})`, () => {
  it('creates a key whose secret is shown once: sbk_ + 43 base64url characters, its prefix the first 12', async () => {
    const { apiKey, secret } = await createKey('read');
    expect(secret).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      organizationId: tenant.organizationId,
      name: 'read key',
      scope: 'read',
      prefix: secret.slice(0, 12),
      createdBy: { id: tenant.adminId },
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    const list = expectStatus(await caller(server, 'rest', tenant.adminToken)('apiKeys.list'), 200);
    expect(list.items.map((key: any) => key.id)).toContain(apiKey.id);
    expect(JSON.stringify(list)).not.toContain(secret);
    // Used once: every log line so far, and every answer after creation, lack the secret.
    expectStatus(await http(server, 'GET', '/api/v1/agents', { token: secret }), 200);
    expectStatus(await http(server, 'GET', '/api/v1/api-keys', { token: secret }), 403);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(secret.slice(4));
  });

  it('refuses a bad name, scope or expiry with 400; members and keys cannot manage keys', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    expectError(await admin('apiKeys.create', { name: '', scope: 'read' }), 400, 'BAD_REQUEST');
    expectError(await admin('apiKeys.create', { name: 'x'.repeat(101), scope: 'read' }), 400, 'BAD_REQUEST');
    expectError(await admin('apiKeys.create', { name: 'x', scope: 'admin' }), 400, 'BAD_REQUEST');
    expectError(
      await admin('apiKeys.create', { name: 'x', scope: 'read', expiresAt: '2020-01-01T00:00:00Z' }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await admin('apiKeys.create', { name: 'x', scope: 'read', secret: 'sbk_mine' }),
      400,
      'BAD_REQUEST',
    );
    expectError(await caller(server, 'rest', tenant.memberToken)('apiKeys.list'), 403, 'FORBIDDEN');
    const { secret } = await createKey('write');
    expectError(
      await caller(server, 'rest', secret)('apiKeys.create', { name: 'x', scope: 'write' }),
      403,
      'FORBIDDEN',
    );
  });

  it('scopes every procedure of the router: read keys read agents and templates, write keys also write them, nothing else', async () => {
    const read = (await createKey('read')).secret;
    const write = (await createKey('write')).secret;
    const operations = new Map(restOperations().map((operation) => [operation.procedure, operation]));
    // Every procedure has a REST route and a scope decision (unset: no key).
    expect([...operations.keys()].sort()).toEqual(requestProcedures());
    const readable = [...operations.values()]
      .filter((operation) => operation.keys === 'read')
      .map((o) => o.procedure);
    const writable = [...operations.values()]
      .filter((operation) => operation.keys === 'write')
      .map((o) => o.procedure);
    expect(readable.sort()).toEqual(
      [
        'agents.get',
        'agents.getMany',
        'agents.list',
        'agents.revision',
        'agents.revisions',
        'catalog.get',
        'config.export',
        'deployments.history',
        'deployments.list',
        'deployments.metrics',
        'deployments.served',
        'environments.list',
        'outcomes.report',
        'sessionTemplates.config',
        'sessionTemplates.get',
        'sessionTemplates.getMany',
        'sessionTemplates.list',
        'sessionTemplates.revision',
        'sessionTemplates.revisions',
      ].sort(),
    );
    expect(writable.sort()).toEqual(
      [
        'agents.create',
        'agents.delete',
        'agents.restore',
        'agents.update',
        'config.import',
        'deployments.abortCanary',
        'deployments.deploy',
        'deployments.promote',
        'deployments.promoteCanary',
        'deployments.rampCanary',
        'deployments.rollback',
        'deployments.undeploy',
        'sessionTemplates.clone',
        'sessionTemplates.create',
        'sessionTemplates.delete',
        'sessionTemplates.restore',
        'sessionTemplates.update',
      ].sort(),
    );

    for (const transport of transports) {
      const admin = caller(server, transport, tenant.adminToken);
      const { template, greeter } = await threeAgentTemplate(caller(server, 'rest', tenant.adminToken));
      const inputs: Record<string, () => Promise<Record<string, unknown> | undefined>> = {
        'auth.signup': async () => ({
          email: `k${Math.random()}@example.com`,
          password: 'password123',
          organizationName: 'K',
        }),
        'auth.login': async () => ({ email: 'nobody@example.com', password: 'password123' }),
        'agents.create': async () => ({ name: 'By key', instructions: 'i' }),
        'agents.get': async () => ({ id: greeter.id }),
        'agents.getMany': async () => ({ ids: [greeter.id] }),
        'sessionTemplates.getMany': async () => ({ ids: [template.id] }),
        'agents.update': async () => ({ id: greeter.id, instructions: `by key ${Math.random()}` }),
        'agents.delete': async () => ({
          id: expectStatus(await admin('agents.create', { name: 'D', instructions: 'i' }), ok(transport, 201))
            .id,
        }),
        'agents.revisions': async () => ({ id: greeter.id }),
        'agents.revision': async () => ({ id: greeter.id, version: 1 }),
        'agents.restore': async () => ({ id: greeter.id, toVersion: 1 }),
        'sessionTemplates.create': async () => ({ name: 'By key', agentIds: [greeter.id] }),
        'sessionTemplates.get': async () => ({ id: template.id }),
        'sessionTemplates.update': async () => ({ id: template.id, description: `by key ${Math.random()}` }),
        'sessionTemplates.delete': async () => ({
          id: expectStatus(
            await admin('sessionTemplates.create', { name: 'D', agentIds: [greeter.id] }),
            ok(transport, 201),
          ).id,
        }),
        'sessionTemplates.clone': async () => ({ id: template.id }),
        'sessionTemplates.revisions': async () => ({ id: template.id }),
        'sessionTemplates.revision': async () => ({ id: template.id, version: 1 }),
        'sessionTemplates.restore': async () => ({ id: template.id, toVersion: 1 }),
        'sessionTemplates.config': async () => ({ id: template.id }),
        'organization.updateMember': async () => ({ id: tenant.memberId, role: 'member' }),
        'apiKeys.create': async () => ({ name: 'x', scope: 'read' }),
        'apiKeys.revoke': async () => ({ id: (await createKey('read')).apiKey.id }),
        'organization.addMember': async () => ({
          email: `m${Math.random()}@example.com`,
          password: 'password123',
          role: 'member',
        }),
        'audit.list': async () => ({}),
        'config.import': async () => ({
          bundle: { format: 'switchboard.bundle/v1', agents: [], sessionTemplates: [] },
          dryRun: true,
        }),
        'agents.list': async () => ({}),
        'sessionTemplates.list': async () => ({}),
        'deployments.list': async () => ({ environment: 'keys' }),
        'deployments.deploy': async () => ({ environment: 'keys', templateId: template.id }),
        'deployments.promoteCanary': () => deployedWithCanary(),
        'deployments.abortCanary': () => deployedWithCanary(),
        'deployments.undeploy': async () => {
          expectStatus(
            await admin('deployments.deploy', { environment: 'keys', templateId: template.id }),
            200,
          );
          return { environment: 'keys', templateId: template.id };
        },
        'deployments.promote': async () => ({
          environment: 'keys',
          from: 'production',
          templateIds: [template.id],
        }),
        'deployments.history': async () => ({ environment: 'keys', templateId: template.id }),
        'deployments.served': async () => ({ environment: 'keys' }),
        'deployments.metrics': async () => ({ environment: 'keys', templateId: template.id }),
        'outcomes.report': async () => ({
          outcomes: [
            {
              templateId: template.id,
              environment: 'keys',
              release: { templateVersion: 1, agentVersions: {}, arm: 'stable' },
              endedAt: new Date().toISOString(),
              status: 'completed',
            },
          ],
        }),
        'deployments.rollback': async () => {
          expectStatus(
            await admin('deployments.deploy', { environment: 'keys', templateId: template.id }),
            200,
          );
          await changeTemplate();
          expectStatus(
            await admin('deployments.deploy', { environment: 'keys', templateId: template.id }),
            200,
          );
          return { environment: 'keys', templateId: template.id };
        },
        'deployments.rampCanary': async () => ({ ...(await deployedWithCanary()), percent: 30 }),
      };
      let idle = 300;
      /** A new version of the template: a canary or a rollback needs another release than the stable. */
      const changeTemplate = async () =>
        expectStatus(
          await admin('sessionTemplates.update', { id: template.id, idleTimeoutSeconds: ++idle }),
          200,
        );
      // A manual environment to deploy to (the second transport finds it made).
      await admin('environments.create', { name: 'keys' });
      const deployedWithCanary = async () => {
        expectStatus(
          await admin('deployments.deploy', { environment: 'keys', templateId: template.id }),
          200,
        );
        await changeTemplate();
        const withCanary = { environment: 'keys', templateId: template.id, canaryPercent: 20 };
        expectStatus(await admin('deployments.deploy', withCanary), 200);
        return { environment: 'keys', templateId: template.id };
      };
      // A key bound to an environment reads only what that environment serves (docs/api.md).
      const bound = (await createKey('write', { environment: 'keys' })).secret;
      for (const [procedure, operation] of operations) {
        const input = await (inputs[procedure] ?? (async () => undefined))();
        const withBound = await caller(server, transport, bound)(procedure, input);
        if (operation.access !== 'public') {
          const label = `${procedure} over ${transport}, bound key: ${JSON.stringify(withBound.body)}`;
          if (operation.keys && operation.boundKeys) expect(withBound.status, label).not.toBe(403);
          else expect(withBound.status, label).toBe(403);
        }
        const withRead = await caller(server, transport, read)(procedure, input);
        const withWrite = await caller(
          server,
          transport,
          write,
        )(procedure, await (inputs[procedure] ?? (async () => undefined))());
        const label = `${procedure} over ${transport}`;
        if (operation.access === 'public') continue; // signup and login take no token
        if (operation.keys === 'read') {
          expect(withRead.status, `${label}, read key: ${JSON.stringify(withRead.body)}`).toBeLessThan(300);
          expect(withWrite.status, `${label}, write key`).toBeLessThan(300);
        } else if (operation.keys === 'write') {
          expect(withRead.status, `${label}, read key`).toBe(403);
          // This organization holds names twice (the cases above create them), so an import is 409:
          // past authorization, which is what this checks.
          const passed =
            withWrite.status < 300 || (procedure === 'config.import' && withWrite.status === 409);
          expect(passed, `${label}, write key: ${JSON.stringify(withWrite.body)}`).toBe(true);
        } else {
          expect(withRead.status, `${label}, read key`).toBe(403);
          expect(withWrite.status, `${label}, write key`).toBe(403);
        }
      }
    }
  });

  it('names the key as the actor of the revisions and events it causes', async () => {
    const { apiKey, secret } = await createKey('write', { name: 'CI deploy' });
    const created = expectStatus(
      await caller(server, 'rest', secret)('agents.create', { name: 'From CI', instructions: 'i' }),
      201,
    );
    const [revision] = expectStatus(
      await caller(server, 'rest', secret)('agents.revisions', { id: created.id }),
      200,
    ).items;
    expect(revision.actor).toEqual({ type: 'apiKey', id: apiKey.id, name: 'CI deploy' });
    const events = expectStatus(
      await caller(server, 'rest', tenant.adminToken)('audit.list', { actorId: apiKey.id }),
      200,
    ).items;
    expect(events.map((event: any) => [event.action, event.actor.type])).toEqual([
      ['agent.created', 'apiKey'],
    ]);
    const keyEvents = expectStatus(
      await caller(server, 'rest', tenant.adminToken)('audit.list', { resourceId: apiKey.id }),
      200,
    ).items;
    expect(keyEvents.map((event: any) => event.action)).toEqual(['apiKey.created']);
  });

  it('a revoked key is 401 on every instance at once, though the other had it cached; a second revoke is 404', async () => {
    const second = await startServer({ database: server.database });
    try {
      const { apiKey, secret } = await createKey('read');
      // The second instance now keeps the key for 0.5 s; the revocation's notification makes it forget.
      expectStatus(await http(second, 'GET', '/api/v1/agents', { token: secret }), 200);
      expectStatus(
        await http(server, 'DELETE', `/api/v1/api-keys/${apiKey.id}`, { token: tenant.adminToken }),
        204,
      );
      const revokedAt = Date.now();
      expectError(await http(server, 'GET', '/api/v1/agents', { token: secret }), 401, 'UNAUTHORIZED');
      const statuses = [];
      do {
        statuses.push((await http(second, 'GET', '/api/v1/agents', { token: secret })).status);
      } while (statuses.at(-1) === 200 && Date.now() - revokedAt < 1_000);
      // Refused within a tenth of a second: well before the cache's 0.5 s would have run out.
      expect(Date.now() - revokedAt).toBeLessThan(100);
      expect(statuses.at(-1)).toBe(401);
      expect(statuses.every((status) => status === 200 || status === 401)).toBe(true);
      expectError(await http(second, 'GET', '/api/v1/agents', { token: secret }), 401, 'UNAUTHORIZED');
      expect((await http(second, 'GET', '/trpc/agents.list', { token: secret })).status).toBe(401);
      expectError(
        await http(server, 'DELETE', `/api/v1/api-keys/${apiKey.id.toUpperCase()}`, {
          token: tenant.adminToken,
        }),
        404,
        'NOT_FOUND',
      );
      const listed = expectStatus(await caller(server, 'rest', tenant.adminToken)('apiKeys.list'), 200);
      const revoked = listed.items.find((key: any) => key.id === apiKey.id);
      expect(revoked.revokedAt).not.toBeNull();
      // Who revoked it, by name as it was then (the admin signed up without a full name).
      expect(revoked.revokedBy).toEqual({ id: tenant.adminId, name: expect.stringContaining('@') });
    } finally {
      await second.close();
    }
  });

  it('a demoted admin is refused an admin call on every instance at once, though the other had them cached', async () => {
    const second = await startServer({ database: server.database });
    try {
      const email = uniqueEmail('demoted');
      const added = expectStatus(
        await http(server, 'POST', '/api/v1/organization/members', {
          token: tenant.adminToken,
          body: { email, password: 'password123', role: 'admin' },
        }),
        201,
      );
      const login = expectStatus(
        await http(server, 'POST', '/api/v1/auth/login', { body: { email, password: 'password123' } }),
        200,
      );
      const token = login.accessToken as string;
      expectStatus(await http(second, 'GET', '/api/v1/api-keys', { token }), 200);
      expectStatus(
        await http(server, 'PUT', `/api/v1/organization/members/${added.id}`, {
          token: tenant.adminToken,
          body: { role: 'member' },
        }),
        200,
      );
      const demotedAt = Date.now();
      const statuses = [];
      do {
        statuses.push((await http(second, 'GET', '/api/v1/api-keys', { token })).status);
      } while (statuses.at(-1) === 200 && Date.now() - demotedAt < 1_000);
      expect(Date.now() - demotedAt).toBeLessThan(100);
      expect(statuses.at(-1)).toBe(403);
      expectStatus(await http(second, 'GET', '/api/v1/agents', { token }), 200);
    } finally {
      await second.close();
    }
  });

  it('an expired key is 401 the moment it expires, on every instance', async () => {
    const second = await startServer({ database: server.database });
    try {
      const { apiKey, secret } = await createKey('read', {
        expiresAt: new Date(Date.now() + 3000).toISOString(),
      });
      expectStatus(await http(second, 'GET', '/api/v1/agents', { token: secret }), 200);
      expectStatus(await http(server, 'GET', '/api/v1/agents', { token: secret }), 200);
      await new Promise((resolve) => setTimeout(resolve, 3100));
      expectError(await http(second, 'GET', '/api/v1/agents', { token: secret }), 401, 'UNAUTHORIZED');
      expectError(await http(server, 'GET', '/api/v1/agents', { token: secret }), 401, 'UNAUTHORIZED');
      // The list keeps expired keys, with their expiry.
      const listed = expectStatus(await caller(server, 'rest', tenant.adminToken)('apiKeys.list'), 200);
      expect(listed.items.find((key: any) => key.id === apiKey.id)).toMatchObject({
        expiresAt: apiKey.expiresAt,
        revokedAt: null,
        revokedBy: null,
      });
    } finally {
      await second.close();
    }
  });

  it('unknown or malformed keys are 401; lastUsedAt is written in the background', async () => {
    for (const token of ['sbk_', 'sbk_nope', `sbk_${'A'.repeat(43)}`, `sbk_${'A'.repeat(44)}`]) {
      expectError(await http(server, 'GET', '/api/v1/agents', { token }), 401, 'UNAUTHORIZED');
    }
    const { apiKey, secret } = await createKey('read');
    const usedAt = Date.now();
    expectStatus(await http(server, 'GET', '/api/v1/agents', { token: secret }), 200);
    // Flushed in the background (every 200 ms in this test server), never by the request itself.
    const lastUsed = async () =>
      expectStatus(await caller(server, 'rest', tenant.adminToken)('apiKeys.list'), 200).items.find(
        (key: any) => key.id === apiKey.id,
      ).lastUsedAt as string | null;
    await expect.poll(lastUsed, { timeout: 10_000 }).not.toBeNull();
    expect(Math.abs(Date.parse((await lastUsed())!) - usedAt)).toBeLessThan(5000);
  });

  it("another organization's key sees none of this organization's templates", async () => {
    const other = await createTenant(server, 'Other runtime');
    const otherKey = expectStatus(
      await caller(server, 'rest', other.adminToken)('apiKeys.create', { name: 'theirs', scope: 'write' }),
      201,
    ).secret;
    const { template } = await threeAgentTemplate(caller(server, 'rest', tenant.adminToken));
    for (const transport of transports) {
      const theirs = caller(server, transport, otherKey);
      expectError(await theirs('sessionTemplates.config', { id: template.id }), 404, 'NOT_FOUND');
      expectError(await theirs('sessionTemplates.get', { id: template.id }), 404, 'NOT_FOUND');
      expectError(await theirs('sessionTemplates.update', { id: template.id, name: 'x' }), 404, 'NOT_FOUND');
      expect(expectStatus(await theirs('sessionTemplates.list', {}), 200).items).toEqual([]);
    }
  });
});

describe(`secrets at rest (${driverName})`, () => {
  it('no secret this file was shown is in any column of any table, nor in any log line', async () => {
    // Keys made over both transports, and with an Idempotency-Key, replayed.
    const viaTrpc = expectStatus(
      await caller(server, 'trpc', tenant.adminToken)('apiKeys.create', { name: 'trpc', scope: 'read' }),
      200,
    );
    secrets.push(viaTrpc.secret);
    const keyed = await http(server, 'POST', '/api/v1/api-keys', {
      token: tenant.adminToken,
      body: { name: 'keyed', scope: 'write' },
      headers: { 'idempotency-key': 'secret-at-rest' },
    });
    secrets.push(keyed.body.secret);
    const replay = await http(server, 'POST', '/api/v1/api-keys', {
      token: tenant.adminToken,
      body: { name: 'keyed', scope: 'write' },
      headers: { 'idempotency-key': 'secret-at-rest' },
    });
    expect(replay.status).toBe(409);
    expect(secrets.length).toBeGreaterThan(5);
    expect(await storedSecrets(server)).toEqual([]);
    const log = logLines.join('\n');
    for (const secret of secrets) expect(log).not.toContain(secret.slice(4));
  });
});

describe(`session config (${driverName})`, () => {
  it('answers the template with its agents in order, the effective greeter and the media, in one call', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const { template, coder, greeter, coach } = await threeAgentTemplate(admin);
    const { secret } = await createKey('read');
    for (const transport of transports) {
      const config = expectStatus(
        await caller(server, transport, secret)('sessionTemplates.config', { id: template.id.toUpperCase() }),
        200,
      );
      expect(config).toEqual({
        templateId: template.id,
        templateVersion: template.version,
        name: 'Interview',
        modalityProfile: 'audio_camera_screenshare',
        media: { audio: true, camera: true, screenshare: true },
        enabledPanels: ['coding_ide', 'whiteboard', 'notepad'],
        maxDurationSeconds: 3600,
        idleTimeoutSeconds: 300,
        initialAgentId: coder.id,
        // Each agent in full, with its instructions rendered (none declares a variable).
        agents: [coder, greeter, coach].map((agent) => ({
          ...agent,
          renderedInstructions: agent.instructions,
        })),
        variables: [],
        overridden: [],
        // Production follows latest: the current template and agents.
        environment: 'production',
        release: {
          templateVersion: template.version,
          agentVersions: {
            [coder.id]: coder.version,
            [greeter.id]: greeter.version,
            [coach.id]: coach.version,
          },
          arm: 'latest',
        },
        etag: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      });
    }
    const member = expectStatus(
      await caller(server, 'rest', tenant.memberToken)('sessionTemplates.config', { id: template.id }),
      200,
    );
    expect(member.initialAgentId).toBe(coder.id);
    expectError(
      await caller(server, 'rest', secret)('sessionTemplates.config', { id: MISSING_ID }),
      404,
      'NOT_FOUND',
    );
    expectStatus(await admin('sessionTemplates.delete', { id: template.id }), 204);
    expectError(
      await caller(server, 'rest', secret)('sessionTemplates.config', { id: template.id }),
      404,
      'NOT_FOUND',
    );
  });

  it('ETag: 304 only with the current tag, after the same authorization; the tag changes with the template, an agent, a restore', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const { template, greeter } = await threeAgentTemplate(admin);
    const { secret } = await createKey('read');
    const url = `/api/v1/session-templates/${template.id}/config`;
    const first = await http(server, 'GET', url, { token: secret });
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag')!;
    expect(tag).toBe(`"${first.body.etag}"`);
    const again = await fetch(server.url + url, {
      headers: { authorization: `Bearer ${secret}`, 'if-none-match': tag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(tag);
    for (const header of [`W/${tag}`, `"other", ${tag}`, '*']) {
      expect(
        (await http(server, 'GET', url, { token: secret, headers: { 'if-none-match': header } })).status,
      ).toBe(304);
    }
    expect(
      (await http(server, 'GET', url, { token: secret, headers: { 'if-none-match': '"stale"' } })).status,
    ).toBe(200);
    // Authorization first: no token, a revoked key, another organization's template: never a 304.
    expectError(await http(server, 'GET', url, { headers: { 'if-none-match': tag } }), 401, 'UNAUTHORIZED');
    const other = await createTenant(server, 'Etag stranger');
    expectError(
      await http(server, 'GET', url, { token: other.adminToken, headers: { 'if-none-match': tag } }),
      404,
      'NOT_FOUND',
    );

    const tags = [tag];
    const tagNow = async () => (await http(server, 'GET', url, { token: secret })).headers.get('etag')!;
    expectStatus(await admin('sessionTemplates.update', { id: template.id, idleTimeoutSeconds: 120 }), 200);
    tags.push(await tagNow());
    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello there' }), 200);
    tags.push(await tagNow());
    expectStatus(await admin('sessionTemplates.restore', { id: template.id, toVersion: 1 }), 200);
    tags.push(await tagNow());
    expect(new Set(tags).size).toBe(4);
    expect(
      (await http(server, 'GET', url, { token: secret, headers: { 'if-none-match': tag } })).status,
    ).toBe(200);
    // Unchanged data, or a change of an agent the template does not list: same tag.
    expect(await tagNow()).toBe(tags.at(-1));
    const unrelated = expectStatus(
      await admin('agents.create', { name: 'Elsewhere', instructions: 'i' }),
      201,
    );
    expectStatus(await admin('agents.update', { id: unrelated.id, instructions: 'changed' }), 200);
    expect(await tagNow()).toBe(tags.at(-1));
  });

  it('overrides: every narrowing is accepted, every widening refused with one issue per offender', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const { template, greeter, coder } = await threeAgentTemplate(admin);
    const config = (overrides: unknown) =>
      http(server, 'POST', `/api/v1/session-templates/${template.id}/config`, {
        token: tenant.memberToken,
        body: { overrides },
      });
    const narrowed = expectStatus(
      await config({
        initialAgentId: greeter.id.toUpperCase(),
        enabledPanels: ['notepad'],
        maxDurationSeconds: 600,
        idleTimeoutSeconds: 300,
        modalityProfile: 'audio_camera_screenshare',
      }),
      200,
    );
    expect(narrowed).toMatchObject({
      initialAgentId: greeter.id,
      enabledPanels: ['notepad'],
      maxDurationSeconds: 600,
      idleTimeoutSeconds: 300,
      overridden: [
        'initialAgentId',
        'modalityProfile',
        'enabledPanels',
        'maxDurationSeconds',
        'idleTimeoutSeconds',
      ],
    });
    expect(expectStatus(await config({}), 200).overridden).toEqual([]);
    expectStatus(await config({ enabledPanels: [] }), 200);

    const refused = expectError(
      await config({
        initialAgentId: MISSING_ID,
        enabledPanels: ['coding_ide', 'slide_presenter', 'document_viewer'],
        maxDurationSeconds: 3601,
        idleTimeoutSeconds: 301,
        modalityProfile: 'audio_only',
      }),
      400,
      'BAD_REQUEST',
    );
    expect(refused.details.issues.map((issue: any) => issue.path.join('.')).sort()).toEqual(
      [
        'overrides.initialAgentId',
        'overrides.modalityProfile', // does not cover the coder (screen share)
        'overrides.modalityProfile', // nor the coach (camera)
        'overrides.enabledPanels.1',
        'overrides.enabledPanels.2',
        'overrides.maxDurationSeconds',
        'overrides.idleTimeoutSeconds',
      ].sort(),
    );
    expect(refused.message).toContain(coder.id);
    const unknown = expectError(await config({ agents: [] }), 400, 'BAD_REQUEST');
    expect(unknown.details.issues.map((issue: any) => issue.path)).toEqual([['overrides', 'agents']]);
    expectError(await config({ maxDurationSeconds: 0 }), 400, 'BAD_REQUEST');
    expectError(await config({ maxDurationSeconds: null }), 400, 'BAD_REQUEST');
    expectError(
      await http(server, 'GET', `/api/v1/session-templates/${template.id}/config?overrides=x`, {
        token: tenant.memberToken,
      }),
      400,
      'BAD_REQUEST',
    );
    // tRPC takes the same overrides in the query's input.
    const viaTrpc = expectStatus(
      await caller(
        server,
        'trpc',
        tenant.memberToken,
      )('sessionTemplates.config', { id: template.id, overrides: { idleTimeoutSeconds: 60 } }),
      200,
    );
    expect(viaTrpc).toMatchObject({ idleTimeoutSeconds: 60, overridden: ['idleTimeoutSeconds'] });
  });

  it('a profile that publishes less is a narrowing; a template without a duration limit takes any positive one', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const plain = expectStatus(await admin('agents.create', { name: 'Plain', instructions: 'i' }), 201);
    const template = expectStatus(
      await admin('sessionTemplates.create', {
        name: 'Open',
        agentIds: [plain.id],
        modalityProfile: 'audio_camera',
      }),
      201,
    );
    const post = (overrides: unknown) =>
      http(server, 'POST', `/api/v1/session-templates/${template.id}/config`, {
        token: tenant.memberToken,
        body: { overrides },
      });
    const narrowed = expectStatus(
      await post({ modalityProfile: 'audio_only', maxDurationSeconds: 2_000_000_000 }),
      200,
    );
    expect(narrowed.media).toEqual({ audio: true, camera: false, screenshare: false });
    expectError(await post({ modalityProfile: 'audio_screenshare' }), 400, 'BAD_REQUEST');
  });
});
