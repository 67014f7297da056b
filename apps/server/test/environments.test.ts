import { createHash } from 'node:crypto';
import { canaryBucket, inCanary, NO_BUCKET } from '@switchboard/contract/canary';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caller,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  http,
  MISSING_ID,
  ok,
  startServer,
  type Tenant,
  type TestServer,
  type Transport,
  transports,
} from './server';

/** Environments, deployments and canaries (docs/api.md "Environments and deployments"). */
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

describe('the canary bucket', () => {
  it('is the first 4 bytes of SHA-256 of "templateId:sessionKey", unsigned, modulo 100', () => {
    // Worked by hand: sha256("t:k") starts with these 4 bytes.
    const digest = createHash('sha256').update('t:k').digest('hex');
    expect(canaryBucket('t', 'k')).toBe(Number.parseInt(digest.slice(0, 8), 16) % 100);
    // A fixed vector, so a change of the rule (signed read, other separator, other bytes) fails.
    expect(canaryBucket('00000000-0000-4000-8000-000000000000', 'user-1')).toBe(
      canaryBucket('00000000-0000-4000-8000-000000000000', 'user-1'),
    );
    expect(0xffffffff % 100).toBe(95); // unsigned: never negative
    expect(canaryBucket('t', undefined)).toBe(NO_BUCKET);
  });

  it('is deterministic, spreads keys over every bucket, and a higher percent only adds keys', () => {
    const id = '6f1c0a52-1b0e-4f53-9b7a-1d2e3f405162';
    const buckets = Array.from({ length: 10_000 }, (_, i) => canaryBucket(id, `session-${i}`));
    expect(buckets).toEqual(Array.from({ length: 10_000 }, (_, i) => canaryBucket(id, `session-${i}`)));
    expect(new Set(buckets).size).toBe(100);
    const share = buckets.filter((bucket) => inCanary(bucket, 10)).length / buckets.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    for (let percent = 1; percent < 99; percent++) {
      for (const bucket of buckets.slice(0, 500)) {
        if (inCanary(bucket, percent)) expect(inCanary(bucket, percent + 1)).toBe(true);
      }
    }
    expect(inCanary(NO_BUCKET, 99)).toBe(false);
    expect(inCanary(0, null)).toBe(false);
  });
});

/** An organization with two agents and a template of both, plus a staging environment. */
async function setup(transport: Transport) {
  const tenant = await createTenant(server, `Env ${transport}`);
  const admin = caller(server, transport, tenant.adminToken);
  const greeter = expectStatus(
    await admin('agents.create', { name: 'Greeter', instructions: 'Hello v1' }),
    ok(transport, 201),
  );
  const helper = expectStatus(
    await admin('agents.create', { name: 'Helper', instructions: 'Help v1' }),
    ok(transport, 201),
  );
  const template = expectStatus(
    await admin('sessionTemplates.create', { name: 'Support', agentIds: [greeter.id, helper.id] }),
    ok(transport, 201),
  );
  expectStatus(await admin('environments.create', { name: 'staging' }), ok(transport, 201));
  return { tenant, admin, greeter, helper, template };
}

async function keyOf(tenant: Tenant, scope: 'read' | 'write', environment?: string) {
  const created = await caller(
    server,
    'rest',
    tenant.adminToken,
  )('apiKeys.create', { name: `${scope} ${environment ?? 'any'}`, scope, environment });
  return expectStatus(created, 201) as { secret: string; apiKey: { id: string; environment: string | null } };
}

describe.each(transports)(`environments over %s on ${driverName}`, (transport) => {
  it('every organization has production, following latest; admins create, rename and delete others', async () => {
    const tenant = await createTenant(server, 'Envs');
    const admin = caller(server, transport, tenant.adminToken);
    const listed = expectStatus(await admin('environments.list'), 200);
    expect(listed.items).toMatchObject([{ name: 'production', followsLatest: true }]);

    const staging = expectStatus(await admin('environments.create', { name: 'staging' }), ok(transport, 201));
    expect(staging).toMatchObject({ name: 'staging', followsLatest: false });
    expectStatus(
      await admin('environments.create', { name: 'dev', followsLatest: true }),
      ok(transport, 201),
    );
    expect(
      expectStatus(await admin('environments.list'), 200).items.map((e: { name: string }) => e.name),
    ).toEqual(['production', 'dev', 'staging']);

    for (const name of ['Staging', 'a b', '', 'x'.repeat(41), 'ünï']) {
      expectError(await admin('environments.create', { name }), 400, 'BAD_REQUEST');
    }
    const taken = expectError(await admin('environments.create', { name: 'staging' }), 409, 'CONFLICT');
    expect(taken.details.reason).toBe('nameTaken');
    expectError(
      await admin('environments.update', { environment: 'production', name: 'prod' }),
      409,
      'CONFLICT',
    );
    expectError(await admin('environments.delete', { environment: 'production' }), 409, 'CONFLICT');
    expectError(await admin('environments.update', { environment: 'dev', name: 'staging' }), 409, 'CONFLICT');
    expectError(await admin('environments.update', { environment: 'nope', name: 'x' }), 404, 'NOT_FOUND');

    const renamed = expectStatus(await admin('environments.update', { environment: 'dev', name: 'qa' }), 200);
    expect(renamed).toMatchObject({ name: 'qa', followsLatest: true });
    expectStatus(await admin('environments.delete', { environment: 'qa' }), ok(transport, 204));
    expectError(await admin('environments.delete', { environment: 'qa' }), 404, 'NOT_FOUND');

    // At most 10 (production and staging are two of them).
    for (let i = 0; i < 8; i++) {
      expectStatus(await admin('environments.create', { name: `e${i}` }), ok(transport, 201));
    }
    const tooMany = expectError(await admin('environments.create', { name: 'e8' }), 409, 'CONFLICT');
    expect(tooMany.details.reason).toBe('tooMany');

    const events = expectStatus(
      await caller(server, 'rest', tenant.adminToken)('audit.list', { resourceType: 'environment' }),
      200,
    );
    expect(events.items.map((event: { action: string }) => event.action)).toContain('environment.deleted');
    expect(events.items.map((event: { action: string }) => event.action)).toContain('environment.updated');
  });

  it('members, keys and other organizations may read but never manage environments', async () => {
    const { tenant } = await setup(transport);
    const member = caller(server, transport, tenant.memberToken);
    const writeKey = caller(server, transport, (await keyOf(tenant, 'write')).secret);
    const readKey = caller(server, transport, (await keyOf(tenant, 'read')).secret);
    for (const who of [member, readKey, writeKey]) {
      expect(expectStatus(await who('environments.list'), 200).items).toHaveLength(2);
      expectError(await who('environments.create', { name: 'x' }), 403, 'FORBIDDEN');
      expectError(
        await who('environments.update', { environment: 'staging', followsLatest: true }),
        403,
        'FORBIDDEN',
      );
      expectError(await who('environments.delete', { environment: 'staging' }), 403, 'FORBIDDEN');
    }
    expectError(await caller(server, transport)('environments.list'), 401, 'UNAUTHORIZED');
    const other = await createTenant(server, 'Other');
    const theirs = caller(server, transport, other.adminToken);
    expect(expectStatus(await theirs('environments.list'), 200).items).toHaveLength(1);
    expectError(await theirs('environments.delete', { environment: 'staging' }), 404, 'NOT_FOUND');
    expectError(await theirs('deployments.list', { environment: 'staging' }), 404, 'NOT_FOUND');
  });
});

describe.each(transports)(`deployments over %s on ${driverName}`, (transport) => {
  it('serves the pinned release: edits and deletes of its agents change only the working copy', async () => {
    const { admin, greeter, helper, template } = await setup(transport);
    expectError(
      await admin('sessionTemplates.config', { id: template.id, environment: 'staging' }),
      404,
      'NOT_FOUND',
    );
    expect(
      expectError(
        await admin('sessionTemplates.config', { id: template.id, environment: 'staging' }),
        404,
        'NOT_FOUND',
      ).details.reason,
    ).toBe('notDeployed');
    expect(
      expectError(
        await admin('sessionTemplates.config', { id: template.id, environment: 'nope' }),
        404,
        'NOT_FOUND',
      ).details.reason,
    ).toBe('unknownEnvironment');

    const deployed = expectStatus(
      await admin('deployments.deploy', { environment: 'staging', templateId: template.id, note: 'first' }),
      200,
    );
    expect(deployed).toMatchObject({
      environment: 'staging',
      templateId: template.id,
      templateName: 'Support',
      version: 1,
      stable: { templateVersion: 1, agentVersions: { [greeter.id]: 1, [helper.id]: 1 } },
      canary: null,
      note: 'first',
    });

    // The working copy moves on: an agent edited, the other removed from the template and deleted.
    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello v2' }), 200);
    expectStatus(await admin('sessionTemplates.update', { id: template.id, agentIds: [greeter.id] }), 200);
    expectStatus(await admin('agents.delete', { id: helper.id }), ok(transport, 204));

    const staging = expectStatus(
      await admin('sessionTemplates.config', { id: template.id, environment: 'staging' }),
      200,
    );
    expect(staging.environment).toBe('staging');
    expect(staging.release).toEqual({
      templateVersion: 1,
      agentVersions: { [greeter.id]: 1, [helper.id]: 1 },
      arm: 'stable',
    });
    expect(staging.templateVersion).toBe(1);
    expect(staging.agents.map((agent: { id: string }) => agent.id)).toEqual([greeter.id, helper.id]);
    expect(staging.agents[0]).toMatchObject({
      instructions: 'Hello v1',
      version: 1,
      renderedInstructions: 'Hello v1',
    });
    expect(staging.agents[1]).toMatchObject({ name: 'Helper', instructions: 'Help v1' });

    const production = expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200);
    expect(production.environment).toBe('production');
    expect(production.release).toEqual({
      templateVersion: 2,
      agentVersions: { [greeter.id]: 2 },
      arm: 'latest',
    });
    expect(production.agents.map((agent: { instructions: string }) => agent.instructions)).toEqual([
      'Hello v2',
    ]);
    expect(production.etag).not.toBe(staging.etag);

    // Deploying again without a version: the session as it stands now.
    const redeployed = expectStatus(
      await admin('deployments.deploy', { environment: 'staging', templateId: template.id, version: 1 }),
      200,
    );
    expect(redeployed.stable).toEqual({ templateVersion: 2, agentVersions: { [greeter.id]: 2 } });
    expect(redeployed.version).toBe(2);
    const stale = expectError(
      await admin('deployments.deploy', { environment: 'staging', templateId: template.id, version: 1 }),
      409,
      'CONFLICT',
    );
    expect(stale.details.currentVersion).toBe(2);

    // Rolling back is deploying an earlier version: its agents at the versions it pinned.
    const rolledBack = expectStatus(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        templateVersion: 1,
      }),
      200,
    );
    expect(rolledBack.stable).toEqual({
      templateVersion: 1,
      agentVersions: { [greeter.id]: 1, [helper.id]: 1 },
    });
    const back = expectStatus(
      await admin('sessionTemplates.config', { id: template.id, environment: 'staging' }),
      200,
    );
    expect(back.agents.map((agent: { instructions: string }) => agent.instructions)).toEqual([
      'Hello v1',
      'Help v1',
    ]);
    expect(back.etag).toBe(staging.etag);

    expectError(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        templateVersion: 99,
      }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await admin('deployments.deploy', { environment: 'production', templateId: template.id }),
      409,
      'CONFLICT',
    );
    expectError(
      await admin('deployments.deploy', { environment: 'staging', templateId: MISSING_ID }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await admin('deployments.deploy', { environment: 'nope', templateId: template.id }),
      404,
      'NOT_FOUND',
    );
  });

  it('a deleted revision cannot be deployed, and a deployed template cannot be deleted', async () => {
    const { admin, template } = await setup(transport);
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    const refused = expectError(await admin('sessionTemplates.delete', { id: template.id }), 409, 'CONFLICT');
    expect(refused.details.environments).toEqual(['staging']);
    expectStatus(
      await admin('deployments.undeploy', { environment: 'staging', templateId: template.id }),
      ok(transport, 204),
    );
    expectError(
      await admin('deployments.undeploy', { environment: 'staging', templateId: template.id }),
      404,
      'NOT_FOUND',
    );
    expectStatus(await admin('sessionTemplates.delete', { id: template.id }), ok(transport, 204));
    expectStatus(await admin('sessionTemplates.restore', { id: template.id, toVersion: 1 }), 200);
    const deletedRevision = expectError(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        templateVersion: 2,
      }),
      400,
      'BAD_REQUEST',
    );
    expect(deletedRevision.details.issues[0].path).toEqual(['templateVersion']);
    // An import that prunes it is refused too, naming the environment, and changes nothing.
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    const pruned = expectError(
      await admin('config.import', {
        bundle: { format: 'switchboard.bundle/v1', agents: [], sessionTemplates: [] },
        prune: true,
      }),
      409,
      'CONFLICT',
    );
    expect(pruned.details.environments).toEqual(['staging']);
    expectStatus(await admin('sessionTemplates.get', { id: template.id }), 200);
  });

  it('a canary serves the sessions its share picks, by the pure rule, and raising it moves keys only to the canary', async () => {
    const { tenant, admin, greeter, template } = await setup(transport);
    const config = (sessionKey?: string) =>
      admin('sessionTemplates.config', {
        id: template.id,
        environment: 'staging',
        ...(sessionKey === undefined ? {} : { sessionKey }),
      });
    expectError(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        canaryPercent: 10,
      }),
      409,
      'CONFLICT',
    );
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello canary' }), 200);
    const canary = expectStatus(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        canaryPercent: 10,
      }),
      200,
    );
    expect(canary.canary).toMatchObject({ percent: 10, agentVersions: { [greeter.id]: 2 } });
    expect(canary.stable.agentVersions[greeter.id]).toBe(1);

    const keys = Array.from({ length: 1000 }, (_, i) => `session-${i}`);
    const arms = async () => {
      const answers = [];
      // Sequential batches keep PGlite's single connection from queueing a thousand at once.
      for (let i = 0; i < keys.length; i += 50) {
        answers.push(...(await Promise.all(keys.slice(i, i + 50).map((key) => config(key)))));
      }
      return answers.map((answer) => {
        expect(answer.status).toBe(200);
        expect(answer.body.agents[0].instructions).toBe(
          answer.body.release.arm === 'canary' ? 'Hello canary' : 'Hello v1',
        );
        return answer.body.release.arm as string;
      });
    };
    const at10 = await arms();
    expect(at10).toEqual(
      keys.map((key) => (inCanary(canaryBucket(template.id, key), 10) ? 'canary' : 'stable')),
    );
    expect(at10.filter((arm) => arm === 'canary').length).toBeGreaterThan(50);
    expect(at10.filter((arm) => arm === 'canary').length).toBeLessThan(150);
    expect(expectStatus(await config(), 200).release.arm).toBe('stable');

    expectStatus(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        canaryPercent: 50,
      }),
      200,
    );
    const at50 = await arms();
    at10.forEach((arm, i) => {
      if (arm === 'canary') expect(at50[i]).toBe('canary');
    });
    expect(at50.filter((arm) => arm === 'canary').length).toBeGreaterThan(
      at10.filter((arm) => arm === 'canary').length,
    );

    const promoted = expectStatus(
      await admin('deployments.promoteCanary', { environment: 'staging', templateId: template.id }),
      200,
    );
    expect(promoted.canary).toBeNull();
    expect(promoted.stable.agentVersions[greeter.id]).toBe(2);
    expectError(
      await admin('deployments.promoteCanary', { environment: 'staging', templateId: template.id }),
      409,
      'CONFLICT',
    );
    expectError(
      await admin('deployments.abortCanary', { environment: 'staging', templateId: template.id }),
      409,
      'CONFLICT',
    );

    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello v3' }), 200);
    expectStatus(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        canaryPercent: 99,
      }),
      200,
    );
    const aborted = expectStatus(
      await admin('deployments.abortCanary', { environment: 'staging', templateId: template.id }),
      200,
    );
    expect(aborted).toMatchObject({ canary: null, stable: { agentVersions: { [greeter.id]: 2 } } });

    const listed = expectStatus(await admin('deployments.list', { environment: 'staging' }), 200);
    expect(listed.items).toHaveLength(1);
    const one = { environment: 'staging', templateId: template.id.toUpperCase() };
    expect(expectStatus(await admin('deployments.list', one), 200).items).toEqual(listed.items);
    const none = { environment: 'staging', templateId: greeter.id };
    expect(expectStatus(await admin('deployments.list', none), 200).items).toEqual([]);
    expect(listed.items[0]).toMatchObject({ templateId: template.id, version: aborted.version });
    const events = expectStatus(
      await caller(server, 'rest', tenant.adminToken)('audit.list', { resourceType: 'deployment' }),
      200,
    ).items as { action: string; resource: { name: string }; version: number }[];
    expect(events.map((event) => event.action)).toEqual([
      'deployment.canaryAborted',
      'deployment.deployed',
      'deployment.canaryPromoted',
      // The running canary's own release at another share is a ramp, not a new canary.
      'deployment.canaryRamped',
      'deployment.deployed',
      'deployment.deployed',
    ]);
    expect(events[0]).toMatchObject({ resource: { name: 'staging/Support' }, version: aborted.version });
  });

  it('promotes a plan, agent by agent, all or nothing', async () => {
    const { admin, greeter, helper, template } = await setup(transport);
    const other = expectStatus(
      await admin('sessionTemplates.create', { name: 'Other', agentIds: [helper.id] }),
      ok(transport, 201),
    );
    expectStatus(
      await admin('environments.update', { environment: 'production', followsLatest: false }),
      200,
    );
    // Switching production off pinned every template's current session: it serves what it served.
    const pinned = expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200);
    expect(pinned.release).toMatchObject({ arm: 'stable', templateVersion: 1 });

    expectStatus(
      await admin('agents.update', { id: greeter.id, instructions: 'Hello v2', voice: 'alloy' }),
      200,
    );
    expectStatus(await admin('sessionTemplates.update', { id: template.id, idleTimeoutSeconds: 60 }), 200);
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);

    const missing = expectError(
      await admin('deployments.promote', {
        environment: 'production',
        from: 'staging',
        templateIds: [template.id, other.id],
      }),
      409,
      'CONFLICT',
    );
    expect(missing.details.templateIds).toEqual([other.id]);
    expect(
      expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200).release.templateVersion,
    ).toBe(1);

    const plan = expectStatus(
      await admin('deployments.promote', { environment: 'production', from: 'staging', dryRun: true }),
      200,
    );
    expect(plan).toMatchObject({ dryRun: true, applied: false });
    expect(plan.changes).toEqual([
      {
        templateId: template.id,
        templateName: 'Support',
        from: { templateVersion: 1, agentVersions: { [greeter.id]: 1, [helper.id]: 1 } },
        to: { templateVersion: 2, agentVersions: { [greeter.id]: 2, [helper.id]: 1 } },
        fields: [{ field: 'idleTimeoutSeconds', before: 300, after: 60 }],
        agents: [
          {
            agentId: greeter.id,
            name: 'Greeter',
            fromVersion: 1,
            toVersion: 2,
            fields: [
              { field: 'instructions', before: 'Hello v1', after: 'Hello v2' },
              { field: 'voice', before: null, after: 'alloy' },
            ],
          },
        ],
        endedCanary: null,
      },
    ]);
    // Staging served that release as its stable: production is not warned it was never served.
    expect(plan.warnings).toEqual([]);
    expect(
      expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200).release.templateVersion,
    ).toBe(1);

    const applied = expectStatus(
      await admin('deployments.promote', { environment: 'production', from: 'staging' }),
      200,
    );
    expect(applied).toMatchObject({ dryRun: false, applied: true, changes: plan.changes });
    const served = expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200);
    expect(served.release).toMatchObject({ arm: 'stable', templateVersion: 2 });
    expect(served.idleTimeoutSeconds).toBe(60);
    // Nothing left to promote: an empty plan, nothing applied.
    const again = expectStatus(
      await admin('deployments.promote', { environment: 'production', from: 'staging' }),
      200,
    );
    expect(again).toEqual({ dryRun: false, applied: false, changes: [], warnings: [] });
    // The other template still serves what production pinned for it.
    expect(expectStatus(await admin('sessionTemplates.config', { id: other.id }), 200).release.arm).toBe(
      'stable',
    );
    // Following latest again drops the deployments: the current versions serve.
    expectStatus(await admin('environments.update', { environment: 'production', followsLatest: true }), 200);
    expect(expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200).release.arm).toBe(
      'latest',
    );
  });

  it("promoting from an environment that follows latest copies each template's current session", async () => {
    const { admin, greeter, helper, template } = await setup(transport);
    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello v2' }), 200);
    const plan = expectStatus(
      await admin('deployments.promote', { environment: 'staging', from: 'production' }),
      200,
    );
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({
      templateId: template.id,
      from: null,
      to: { templateVersion: 1, agentVersions: { [greeter.id]: 2, [helper.id]: 1 } },
    });
    const served = expectStatus(
      await admin('sessionTemplates.config', { id: template.id, environment: 'staging' }),
      200,
    );
    expect(served.agents[0].instructions).toBe('Hello v2');
  });

  it('keys: a bound key reads and deploys only its environment; read keys and members never deploy', async () => {
    const { tenant, template } = await setup(transport);
    const bound = await keyOf(tenant, 'write', 'staging');
    expect(bound.apiKey.environment).toBe('staging');
    const listedKeys = expectStatus(await caller(server, 'rest', tenant.adminToken)('apiKeys.list'), 200);
    expect(listedKeys.items.find((key: { id: string }) => key.id === bound.apiKey.id).environment).toBe(
      'staging',
    );
    expectError(
      await caller(
        server,
        'rest',
        tenant.adminToken,
      )('apiKeys.create', { name: 'x', scope: 'read', environment: 'nope' }),
      404,
      'NOT_FOUND',
    );
    const key = caller(server, transport, bound.secret);
    // Deploys to its environment; the default environment of its reads is that one.
    expectStatus(await key('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    expect(expectStatus(await key('sessionTemplates.config', { id: template.id }), 200).environment).toBe(
      'staging',
    );
    expectError(
      await key('sessionTemplates.config', { id: template.id, environment: 'production' }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await key('deployments.deploy', { environment: 'production', templateId: template.id }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await key('deployments.promote', { environment: 'production', from: 'staging' }),
      403,
      'FORBIDDEN',
    );
    // A key bound to it keeps the environment from being deleted until it is revoked.
    const admin = caller(server, 'rest', tenant.adminToken);
    const blocked = expectError(
      await admin('environments.delete', { environment: 'staging' }),
      409,
      'CONFLICT',
    );
    expect(blocked.details.apiKeyIds).toEqual([bound.apiKey.id]);

    const member = caller(server, transport, tenant.memberToken);
    const reader = caller(server, transport, (await keyOf(tenant, 'read')).secret);
    for (const who of [member, reader]) {
      expect(expectStatus(await who('deployments.list', { environment: 'staging' }), 200).items).toHaveLength(
        1,
      );
      expect(
        expectStatus(await who('sessionTemplates.config', { id: template.id, environment: 'staging' }), 200)
          .release.arm,
      ).toBe('stable');
      for (const [procedure, input] of [
        ['deployments.deploy', { environment: 'staging', templateId: template.id }],
        ['deployments.promoteCanary', { environment: 'staging', templateId: template.id }],
        ['deployments.abortCanary', { environment: 'staging', templateId: template.id }],
        ['deployments.undeploy', { environment: 'staging', templateId: template.id }],
        ['deployments.promote', { environment: 'staging', from: 'production' }],
      ] as const) {
        expectError(await who(procedure, input), 403, 'FORBIDDEN');
      }
    }
    expectError(
      await caller(server, transport)('deployments.list', { environment: 'staging' }),
      401,
      'UNAUTHORIZED',
    );
    const other = caller(server, transport, (await createTenant(server, 'Other')).adminToken);
    expectError(
      await other('deployments.deploy', { environment: 'staging', templateId: template.id }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await other('sessionTemplates.config', { id: template.id, environment: 'staging' }),
      404,
      'NOT_FOUND',
    );
    expectStatus(await admin('apiKeys.revoke', { id: bound.apiKey.id }), 204);
    expectStatus(await admin('environments.delete', { environment: 'staging' }), 204);
  });
});

describe(`naming the environment on ${driverName}`, () => {
  it("over tRPC, `name` names the environment as `environment` does (docs/api.md's path parameter)", async () => {
    const { admin, template } = await setup('trpc');
    const deployed = expectStatus(
      await admin('deployments.deploy', { name: 'staging', templateId: template.id }),
      200,
    );
    expect(deployed.environment).toBe('staging');
    expect(expectStatus(await admin('deployments.list', { name: 'staging' }), 200).items).toHaveLength(1);
    const both = { environment: 'staging', name: 'production', templateId: template.id };
    expect(
      expectError(await admin('deployments.deploy', both), 400, 'BAD_REQUEST').details.issues[0].path,
    ).toEqual(['name']);
    expectError(await admin('deployments.deploy', { templateId: template.id }), 400, 'BAD_REQUEST');
    // An update by `name` alone changes that environment; with `environment`, `name` renames it.
    const switched = expectStatus(
      await admin('environments.update', { name: 'staging', followsLatest: true }),
      200,
    );
    expect(switched).toMatchObject({ name: 'staging', followsLatest: true });
    const renamed = expectStatus(
      await admin('environments.update', { environment: 'staging', name: 'qa' }),
      200,
    );
    expect(renamed.name).toBe('qa');
    expectStatus(await admin('environments.delete', { name: 'qa' }), 200);
  });

  it('over REST, the path names it: `name` in a body is refused, never dropped', async () => {
    const { tenant, template } = await setup('rest');
    const deploy = await http(server, 'PUT', `/api/v1/environments/staging/deployments/${template.id}`, {
      token: tenant.adminToken,
      body: { name: 'production' },
    });
    expect(expectError(deploy, 400, 'BAD_REQUEST').details.issues[0].path).toEqual(['name']);
    const upperCase = await http(server, 'PUT', `/api/v1/environments/STAGING/deployments/${template.id}`, {
      token: tenant.adminToken,
      body: {},
    });
    expectError(upperCase, 400, 'BAD_REQUEST');
    const renamed = await http(server, 'PUT', '/api/v1/environments/staging', {
      token: tenant.adminToken,
      body: { name: 'pre-production' },
    });
    expect(expectStatus(renamed, 200).name).toBe('pre-production');
  });
});

describe(`session config revalidation per environment on ${driverName}`, () => {
  it('answers 304 for the tag of what the call serves, and 200 when the release changes', async () => {
    const { tenant, admin, greeter, template } = await setup('rest');
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    const url = `/api/v1/session-templates/${template.id}/config?environment=staging&sessionKey=abc`;
    const first = await http(server, 'GET', url, { token: tenant.adminToken });
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag')!;
    expect(tag).toBe(`"${first.body.etag}"`);
    const revalidated = await http(server, 'GET', url, {
      token: tenant.adminToken,
      headers: { 'if-none-match': tag },
    });
    expect(revalidated.status).toBe(304);
    // An agent edit changes production's tag, never staging's.
    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello v2' }), 200);
    expect(
      (await http(server, 'GET', url, { token: tenant.adminToken, headers: { 'if-none-match': tag } }))
        .status,
    ).toBe(304);
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    const changed = await http(server, 'GET', url, {
      token: tenant.adminToken,
      headers: { 'if-none-match': tag },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.agents[0].instructions).toBe('Hello v2');
    // The tag of one environment does not revalidate another, nor a bound key's refusal.
    const production = `/api/v1/session-templates/${template.id}/config`;
    expect(
      (await http(server, 'GET', production, { token: tenant.adminToken, headers: { 'if-none-match': tag } }))
        .status,
    ).toBe(200);
    const bound = await keyOf(tenant, 'read', 'staging');
    const current = changed.headers.get('etag')!;
    expect(
      (
        await http(server, 'GET', `${production}?environment=production`, {
          token: bound.secret,
          headers: { 'if-none-match': current },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await http(server, 'GET', `${production}?sessionKey=abc`, {
          token: bound.secret,
          headers: { 'if-none-match': current },
        })
      ).status,
    ).toBe(304);
  });
});

describe(`what an instance keeps of a served session on ${driverName}`, () => {
  it('is never stale: a change made through another instance shows on the next call, in both kinds of environment', async () => {
    const second = await startServer({ database: server.database });
    try {
      const { tenant, admin, greeter, template } = await setup('rest');
      const other = caller(second, 'rest', tenant.adminToken);
      const read = async (environment: string) =>
        expectStatus(await admin('sessionTemplates.config', { id: template.id, environment }), 200);
      expectStatus(
        await admin('deployments.deploy', { environment: 'staging', templateId: template.id }),
        200,
      );
      expect((await read('production')).agents[0].instructions).toBe('Hello v1');
      expect((await read('staging')).agents[0].instructions).toBe('Hello v1');
      expectStatus(await other('agents.update', { id: greeter.id, instructions: 'Hello v2' }), 200);
      expect((await read('production')).agents[0].instructions).toBe('Hello v2');
      expect((await read('staging')).agents[0].instructions).toBe('Hello v1');
      expectStatus(
        await other('deployments.deploy', { environment: 'staging', templateId: template.id }),
        200,
      );
      expect((await read('staging')).agents[0].instructions).toBe('Hello v2');
      // Back to the first release: held by this instance, and served again as it was.
      expectStatus(
        await other('deployments.deploy', {
          environment: 'staging',
          templateId: template.id,
          templateVersion: 1,
        }),
        200,
      );
      expect((await read('staging')).agents[0].instructions).toBe('Hello v1');
      expectStatus(await other('sessionTemplates.update', { id: template.id, name: 'Renamed' }), 200);
      expect((await read('production')).name).toBe('Renamed');
      expect((await read('staging')).name).toBe('Support');
    } finally {
      await second.close();
    }
  });

  it('answers each environment and each arm as its own, where they serve the same versions', async () => {
    const { admin, template } = await setup('rest');
    const read = async (environment: string, sessionKey?: string) =>
      expectStatus(
        await admin('sessionTemplates.config', {
          id: template.id,
          environment,
          ...(sessionKey === undefined ? {} : { sessionKey }),
        }),
        200,
      );
    // Two environments following latest serve the same template at the same config version.
    expectStatus(await admin('environments.create', { name: 'dev', followsLatest: true }), 201);
    for (let round = 0; round < 2; round++) {
      const [production, dev] = [await read('production'), await read('dev')];
      expect(production.environment).toBe('production');
      expect(dev.environment).toBe('dev');
      expect(dev.templateVersion).toBe(production.templateVersion);
      expect(dev.etag).not.toBe(production.etag);
    }
    // A canary of the very release the stable arm serves is refused; a canary that serves the
    // same template version with another agent version is its own arm, with its own tag.
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    const same = await admin('deployments.deploy', {
      environment: 'staging',
      templateId: template.id,
      canaryPercent: 50,
    });
    expect(expectStatus(same, 400).error.details.reason).toBe('sameAsStable');
    const agentId = template.agentIds[0];
    expectStatus(await admin('agents.update', { id: agentId, tools: ['lookup'] }), 200);
    const canary = expectStatus(
      await admin('deployments.deploy', {
        environment: 'staging',
        templateId: template.id,
        canaryPercent: 50,
      }),
      200,
    );
    expect(canary.canary.templateVersion).toBe(canary.stable.templateVersion);
    const keys = Array.from({ length: 40 }, (_, i) => `same-${i}`);
    const expected = keys.map((key) => (inCanary(canaryBucket(template.id, key), 50) ? 'canary' : 'stable'));
    expect(new Set(expected)).toEqual(new Set(['stable', 'canary']));
    const tags = new Map<string, string>();
    for (let round = 0; round < 2; round++) {
      for (const [i, key] of keys.entries()) {
        const answer = await read('staging', key);
        expect(answer.release.arm).toBe(expected[i]);
        expect(answer.environment).toBe('staging');
        if (!tags.has(answer.release.arm)) tags.set(answer.release.arm, answer.etag);
        expect(answer.etag).toBe(tags.get(answer.release.arm));
      }
    }
    expect(tags.get('stable')).not.toBe(tags.get('canary'));
  });
});

describe(`query parameters of a write, on ${driverName}`, () => {
  it('POST config takes environment and sessionKey from the query as from the body; an unknown one or a disagreement is 400', async () => {
    const { tenant, admin, greeter, template } = await setup('rest');
    expectStatus(await admin('deployments.deploy', { environment: 'staging', templateId: template.id }), 200);
    expectStatus(await admin('agents.update', { id: greeter.id, instructions: 'Hello v2' }), 200);
    const post = (query: string, body: unknown = {}) =>
      http(server, 'POST', `/api/v1/session-templates/${template.id}/config${query}`, {
        token: tenant.adminToken,
        body,
      });
    const staging = expectStatus(await post('?environment=staging&sessionKey=call-7'), 200);
    expect(staging).toMatchObject({ environment: 'staging', release: { arm: 'stable' } });
    expect(staging.agents[0].instructions).toBe('Hello v1');
    const same = expectStatus(await post('?environment=staging', { environment: 'staging' }), 200);
    expect(same.environment).toBe('staging');
    expect(expectStatus(await post(''), 200).agents[0].instructions).toBe('Hello v2');
    const unknown = expectError(await post('?enviroment=staging'), 400, 'BAD_REQUEST');
    expect(unknown.details.issues).toEqual([{ path: ['enviroment'], message: 'Unknown field "enviroment"' }]);
    const disagree = expectError(
      await post('?environment=staging', { environment: 'production' }),
      400,
      'BAD_REQUEST',
    );
    expect(disagree.details.issues).toEqual([
      { path: ['environment'], message: 'Given differently in the query and the body' },
    ]);
    // A boolean in the query is a boolean: a dry run of a promotion.
    const plan = expectStatus(
      await http(server, 'POST', '/api/v1/environments/staging/promote?dryRun=true', {
        token: tenant.adminToken,
        body: { from: 'production' },
      }),
      200,
    );
    expect(plan).toMatchObject({ dryRun: true, applied: false });
  });
});
