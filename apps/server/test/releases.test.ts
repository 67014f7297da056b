import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caller,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  MISSING_ID,
  ok,
  startServer,
  type Tenant,
  type TestServer,
  type Transport,
  transports,
} from './server';

/** Releases: what each environment served, and when (docs/api.md "Releases"). */
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An organization with one agent and a template of it at version `versions` (each save after the
 * first changes the idle timeout), and production pinned at version 1 (its record 1, `pinned`).
 */
async function setup(transport: Transport, name: string) {
  const tenant = await createTenant(server, `${name} ${transport}`);
  const admin = caller(server, transport, tenant.adminToken);
  const agent = expectStatus(
    await admin('agents.create', { name: 'Greeter', instructions: 'Hello' }),
    ok(transport, 201),
  );
  const template = expectStatus(
    await admin('sessionTemplates.create', { name: 'Interview', agentIds: [agent.id] }),
    ok(transport, 201),
  );
  expectStatus(await admin('environments.update', { environment: 'production', followsLatest: false }), 200);
  /** Saves the template once more: the next version. */
  const save = async () => {
    const current = expectStatus(await admin('sessionTemplates.get', { id: template.id }), 200);
    return expectStatus(
      await admin('sessionTemplates.update', {
        id: template.id,
        idleTimeoutSeconds: current.idleTimeoutSeconds + 1,
      }),
      200,
    ).version as number;
  };
  const at = { environment: 'production', templateId: template.id };
  /** Deploys the template's current session to production as its stable. */
  const deploy = async (extra: Record<string, unknown> = {}) =>
    expectStatus(await admin('deployments.deploy', { ...at, ...extra }), 200);
  const history = async () =>
    expectStatus(await admin('deployments.history', at), 200).items as {
      number: number;
      action: string;
      stable: { templateVersion: number } | null;
      canary: { templateVersion: number; percent: number } | null;
    }[];
  const served = async () =>
    expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200).release as {
      templateVersion: number;
      arm: string;
    };
  return { tenant, admin, agent, template, save, at, deploy, history, served };
}

describe.each(transports)(`releases over %s on ${driverName}`, (transport) => {
  it('v3 → v4 → v5, then rollback serves v4, what production served before; again, v5; toRecord, any earlier one', async () => {
    const { admin, save, at, deploy, history, served } = await setup(transport, 'Rollback');
    await save();
    expect(await save()).toBe(3);
    expect((await deploy()).version).toBe(2);
    await save();
    expect((await deploy()).stable.templateVersion).toBe(4);
    await save();
    const v5 = await deploy();
    expect(v5).toMatchObject({ version: 4, stable: { templateVersion: 5 } });
    // Straight to production, never served by another environment: it says so.
    expect(v5.warnings).toEqual([
      expect.objectContaining({ code: 'neverServed', templateId: at.templateId }),
    ]);

    const back = expectStatus(await admin('deployments.rollback', at), 200);
    expect(back).toMatchObject({ version: 5, stable: { templateVersion: 4 }, canary: null });
    // Production served v4 itself: serving it again earns no "never served" warning.
    expect(back.warnings).toEqual([]);
    expect((await served()).templateVersion).toBe(4);
    expect(
      (await history()).map((record) => [record.number, record.action, record.stable?.templateVersion]),
    ).toEqual([
      [5, 'rolledBack', 4],
      [4, 'deployed', 5],
      [3, 'deployed', 4],
      [2, 'deployed', 3],
      [1, 'pinned', 1],
    ]);
    // Rolling back again serves what was served before that: v5.
    const again = expectStatus(await admin('deployments.rollback', { ...at, note: 'v4 was worse' }), 200);
    expect(again).toMatchObject({ version: 6, stable: { templateVersion: 5 }, note: 'v4 was worse' });
    // Any earlier record by number; one that does not exist is 404; a stale version is 409.
    const toFirst = expectStatus(
      await admin('deployments.rollback', { ...at, toRecord: 1, version: 6 }),
      200,
    );
    expect(toFirst).toMatchObject({ version: 7, stable: { templateVersion: 1 } });
    expect(
      expectError(await admin('deployments.rollback', { ...at, toRecord: 99 }), 404, 'NOT_FOUND'),
    ).toBeTruthy();
    const stale = expectError(await admin('deployments.rollback', { ...at, version: 6 }), 409, 'CONFLICT');
    expect(stale.details.currentVersion).toBe(7);
    // The record it names serves what is served now: nothing to roll back.
    const same = expectError(await admin('deployments.rollback', { ...at, toRecord: 7 }), 409, 'CONFLICT');
    expect(same.details.reason).toBe('nothingToRollBack');
    expect((await served()).templateVersion).toBe(1);
  });

  it('v3 → v5 then rollback: v3, never the v4 production did not serve', async () => {
    const { admin, save, at, deploy, served } = await setup(transport, 'Skip');
    await save();
    await save();
    await deploy();
    await save();
    await save();
    expect((await deploy()).stable.templateVersion).toBe(5);
    const plan = expectStatus(await admin('deployments.rollback', { ...at, dryRun: true }), 200);
    expect(plan.plan).toMatchObject({ dryRun: true, applied: false });
    expect(plan.plan.changes).toHaveLength(1);
    expect(plan.plan.changes[0]).toMatchObject({ from: { templateVersion: 5 }, to: { templateVersion: 3 } });
    expect((await served()).templateVersion).toBe(5); // the dry run changed nothing
    const back = expectStatus(await admin('deployments.rollback', at), 200);
    expect(back.stable.templateVersion).toBe(3);
    expect((await served()).templateVersion).toBe(3);
  });

  it('nothing to roll back, a template never deployed, an environment that follows latest', async () => {
    const { admin, template, at } = await setup(transport, 'Nothing');
    const only = expectError(await admin('deployments.rollback', at), 409, 'CONFLICT');
    expect(only.details.reason).toBe('nothingToRollBack');
    expectStatus(await admin('environments.create', { name: 'staging' }), ok(transport, 201));
    const never = expectError(
      await admin('deployments.rollback', { environment: 'staging', templateId: template.id }),
      404,
      'NOT_FOUND',
    );
    expect(never.details.reason).toBe('notDeployed');
    const other = caller(server, transport, (await createTenant(server, 'Other')).adminToken);
    expectError(await other('deployments.rollback', at), 404, 'NOT_FOUND');
    expectError(await admin('deployments.rollback', { ...at, templateId: MISSING_ID }), 404, 'NOT_FOUND');
    expectStatus(await admin('environments.update', { environment: 'production', followsLatest: true }), 200);
    const following = expectError(await admin('deployments.rollback', at), 409, 'CONFLICT');
    expect(following.details.reason).toBe('followsLatest');
  });

  it('a ramp after a new save keeps the canary release; another canary is 409 canaryRunning; the stable is 400 sameAsStable', async () => {
    const { admin, save, at, deploy, history } = await setup(transport, 'Ramp');
    await save();
    const canary = await deploy({ canaryPercent: 10 });
    expect(canary).toMatchObject({
      stable: { templateVersion: 1 },
      canary: { templateVersion: 2, percent: 10 },
    });
    await save(); // v3, saved by someone else meanwhile
    const ramped = expectStatus(await admin('deployments.rampCanary', { ...at, percent: 25 }), 200);
    expect(ramped).toMatchObject({
      version: canary.version + 1,
      stable: { templateVersion: 1 },
      canary: { templateVersion: 2, percent: 25 },
    });
    // Deploying the new draft as a canary would replace the running one: refused, naming it.
    const running = expectError(
      await admin('deployments.deploy', { ...at, canaryPercent: 25 }),
      409,
      'CONFLICT',
    );
    expect(running.details).toMatchObject({
      reason: 'canaryRunning',
      canary: { templateVersion: 2, percent: 25 },
    });
    // A canary of what the stable serves is refused.
    const same = expectError(
      await admin('deployments.deploy', { ...at, templateVersion: 1, canaryPercent: 5 }),
      400,
      'BAD_REQUEST',
    );
    expect(same.details.reason).toBe('sameAsStable');
    // The same share again changes nothing and writes nothing.
    const before = await history();
    const unchanged = expectStatus(await admin('deployments.rampCanary', { ...at, percent: 25 }), 200);
    expect(unchanged.version).toBe(ramped.version);
    expect(await history()).toEqual(before);
    // A dry run of a ramp plans it and changes nothing.
    const dry = expectStatus(
      await admin('deployments.rampCanary', { ...at, percent: 50, dryRun: true }),
      200,
    );
    expect(dry.plan.changes[0]).toMatchObject({ from: { templateVersion: 1 }, to: { templateVersion: 2 } });
    expect((await history())[0]).toMatchObject({ action: 'canaryRamped', canary: { percent: 25 } });
    // Without a canary, a ramp is 409.
    expectStatus(await admin('deployments.abortCanary', at), 200);
    const none = expectError(await admin('deployments.rampCanary', { ...at, percent: 30 }), 409, 'CONFLICT');
    expect(none.details.reason).toBe('noCanary');
    expect((await history()).map((record) => record.action)).toEqual([
      'canaryAborted',
      'canaryRamped',
      'canaryStarted',
      'pinned',
    ]);
    for (const percent of [0, 100, 2.5]) {
      expectError(await admin('deployments.rampCanary', { ...at, percent }), 400, 'BAD_REQUEST');
    }
  });

  it('a deploy that changes nothing writes no record and no audit event; a dry run changes nothing', async () => {
    const { tenant, save, deploy, history } = await setup(transport, 'Noop');
    const audit = caller(server, 'rest', tenant.adminToken);
    const events = async () =>
      expectStatus(await audit('audit.list', { resourceType: 'deployment' }), 200).items as unknown[];
    const first = await deploy();
    expect(first.version).toBe(1); // pinned v1 is record 1; deploying v1 again changes nothing
    expect(await events()).toHaveLength(0);
    await save();
    const dry = await deploy({ dryRun: true, note: 'try' });
    expect(dry).toMatchObject({ plan: { dryRun: true, applied: false } });
    expect(dry.warnings.map((warning: { code: string }) => warning.code)).toEqual(['neverServed']);
    expect(dry.plan.changes[0]).toMatchObject({ from: { templateVersion: 1 }, to: { templateVersion: 2 } });
    expect(await history()).toHaveLength(1);
    const real = await deploy({ note: 'ship it' });
    expect(real).toMatchObject({ version: 2, note: 'ship it', stable: { templateVersion: 2 } });
    const again = await deploy();
    expect(again.version).toBe(2);
    expect(await history()).toHaveLength(2);
    expect(await events()).toHaveLength(1);
  });

  it('record numbers never restart: across an undeploy, following latest and pinning again', async () => {
    const { admin, at, deploy, save, history } = await setup(transport, 'Numbers');
    expectStatus(await admin('deployments.undeploy', at), ok(transport, 204));
    expectError(await admin('sessionTemplates.config', { id: at.templateId }), 404, 'NOT_FOUND');
    await save();
    expect((await deploy()).version).toBe(3);
    expectStatus(await admin('environments.update', { environment: 'production', followsLatest: true }), 200);
    expectStatus(
      await admin('environments.update', { environment: 'production', followsLatest: false }),
      200,
    );
    const listed = expectStatus(await admin('deployments.list', { environment: 'production' }), 200).items;
    expect(listed[0]).toMatchObject({ templateId: at.templateId, version: 5 });
    expect(
      (await history()).map((record) => [
        record.number,
        record.action,
        record.stable?.templateVersion ?? null,
      ]),
    ).toEqual([
      [5, 'pinned', 2],
      [4, 'followedLatest', null],
      [3, 'deployed', 2],
      [2, 'undeployed', null],
      [1, 'pinned', 1],
    ]);
    const page = expectStatus(await admin('deployments.history', { ...at, limit: 2 }), 200);
    expect(page.items.map((record: { number: number }) => record.number)).toEqual([5, 4]);
    const rest = expectStatus(await admin('deployments.history', { ...at, cursor: page.nextCursor }), 200);
    expect(rest.items.map((record: { number: number }) => record.number)).toEqual([3, 2, 1]);
    expect(rest.nextCursor).toBeNull();
    expectError(await admin('deployments.history', { ...at, cursor: 'bogus' }), 400, 'BAD_REQUEST');
  });

  it('following latest: a dry run lists every template whose release changes and every canary that ends', async () => {
    const { admin, template, save, deploy, served } = await setup(transport, 'Follow');
    await save();
    await deploy({ canaryPercent: 20 });
    await save(); // v3: the draft nobody deployed
    const other = expectStatus(
      await admin('sessionTemplates.create', { name: 'Another', agentIds: [template.agentIds[0]] }),
      ok(transport, 201),
    );
    const plan = expectStatus(
      await admin('environments.update', { environment: 'production', followsLatest: true, dryRun: true }),
      200,
    );
    expect(plan).toMatchObject({ dryRun: true, applied: false });
    const byId = new Map(plan.changes.map((change: { templateId: string }) => [change.templateId, change]));
    expect(byId.get(template.id)).toMatchObject({
      from: { templateVersion: 1 },
      to: { templateVersion: 3 },
      endedCanary: { templateVersion: 2, percent: 20 },
    });
    expect(byId.get(other.id)).toMatchObject({ from: null, to: { templateVersion: 1 }, endedCanary: null });
    expect((await served()).arm).toBe('stable'); // nothing changed
    const environment = expectStatus(await admin('environments.list'), 200).items[0];
    expect(environment).toMatchObject({ name: 'production', followsLatest: false });
    // Switching off while off, or a rename-free dry run, plans nothing.
    const none = expectStatus(
      await admin('environments.update', { environment: 'production', followsLatest: false, dryRun: true }),
      200,
    );
    expect(none.changes).toEqual([]);
    expectStatus(await admin('environments.update', { environment: 'production', followsLatest: true }), 200);
    expect(await served()).toMatchObject({ arm: 'latest', templateVersion: 3 });
    // Every active template gets its record, deployed or not, so the records say when it followed latest.
    for (const id of [template.id, other.id]) {
      const records = expectStatus(
        await admin('deployments.history', { environment: 'production', templateId: id }),
        200,
      );
      expect(records.items[0]).toMatchObject({ action: 'followedLatest', stable: null, canary: null });
    }
  });

  it('served?at= answers what production served at any instant, pinned or following latest', async () => {
    const { admin, template, save, deploy } = await setup(transport, 'Served');
    const servedAt = async (at?: string) =>
      expectStatus(
        await admin('deployments.served', { environment: 'production', ...(at ? { at } : {}) }),
        200,
      ) as {
        at: string;
        items: { templateId: string; stable: { templateVersion: number }; canary: unknown }[];
      };
    const tick = async () => {
      await sleep(30);
      const at = new Date().toISOString();
      await sleep(30);
      return at;
    };
    const pinned = await tick(); // v1 pinned
    await save();
    await save();
    const whileDraft = await tick(); // still v1: v2 and v3 are drafts
    await deploy();
    const afterDeploy = await tick(); // v3
    await save();
    await deploy({ canaryPercent: 30 });
    const withCanary = await tick();
    expectStatus(await admin('environments.update', { environment: 'production', followsLatest: true }), 200);
    await save(); // v5, served at once: production follows latest
    const following = await tick();
    expectStatus(
      await admin('environments.update', { environment: 'production', followsLatest: false }),
      200,
    );

    const versionAt = async (at: string) =>
      (await servedAt(at)).items.find((item) => item.templateId === template.id);
    expect((await versionAt(pinned))?.stable.templateVersion).toBe(1);
    expect((await versionAt(whileDraft))?.stable.templateVersion).toBe(1);
    expect((await versionAt(afterDeploy))?.stable.templateVersion).toBe(3);
    expect(await versionAt(withCanary)).toMatchObject({
      stable: { templateVersion: 3 },
      canary: { templateVersion: 4, percent: 30 },
    });
    expect(await versionAt(following)).toMatchObject({ stable: { templateVersion: 5 }, canary: null });
    // Before the template existed, production served nothing of it; the answer names its instant.
    const early = await servedAt('2020-01-01T00:00:00.000Z');
    expect(early).toEqual({ at: '2020-01-01T00:00:00.000Z', items: [] });
    const now = await servedAt();
    expect(now.items[0]).toMatchObject({
      templateId: template.id,
      templateName: 'Interview',
      stable: { templateVersion: 5 },
    });
    const one = expectStatus(
      await admin('deployments.served', { environment: 'production', templateId: template.id.toUpperCase() }),
      200,
    );
    expect(one.items).toHaveLength(1);
    expectError(
      await admin('deployments.served', { environment: 'production', at: 'yesterday' }),
      400,
      'BAD_REQUEST',
    );
    expectError(await admin('deployments.served', { environment: 'nowhere' }), 404, 'NOT_FOUND');
  });

  it('served?at= in an environment following latest from the start reads the revisions', async () => {
    const { admin, template, agent, save } = await setup(transport, 'Latest');
    expectStatus(
      await admin('environments.create', { name: 'dev', followsLatest: true }),
      ok(transport, 201),
    );
    await sleep(20);
    const before = new Date().toISOString();
    await sleep(20);
    await save();
    expectStatus(await admin('agents.update', { id: agent.id, instructions: 'Hello again' }), 200);
    const at = async (instant: string) =>
      expectStatus(await admin('deployments.served', { environment: 'dev', at: instant }), 200).items;
    expect(await at(before)).toEqual([
      expect.objectContaining({
        templateId: template.id,
        stable: { templateVersion: 1, agentVersions: { [agent.id]: 1 } },
      }),
    ]);
    expect(await at(new Date().toISOString())).toEqual([
      expect.objectContaining({
        stable: { templateVersion: 2, agentVersions: { [agent.id]: 2 } },
        canary: null,
      }),
    ]);
  });

  it('warns of a required variable the runtime does not send, and of a release production never served', async () => {
    const { admin, agent, template, deploy } = await setup(transport, 'Warnings');
    expectStatus(
      await admin('agents.update', {
        id: agent.id,
        instructions: 'Hello {{ candidate_name }}',
        variables: [{ name: 'candidate_name', type: 'string', required: true }],
      }),
      200,
    );
    const dry = await deploy({ dryRun: true });
    const codes = dry.warnings.map((warning: { code: string }) => warning.code).sort();
    expect(codes).toEqual(['neverServed', 'requiredVariableAdded']);
    expect(dry.warnings).toContainEqual(
      expect.objectContaining({
        code: 'requiredVariableAdded',
        templateId: template.id,
        name: 'candidate_name',
        agentId: agent.id,
      }),
    );
    expect(dry.plan.warnings).toEqual(dry.warnings);
    // Staging serves it first: production is no longer warned that it was never served.
    expectStatus(await admin('environments.create', { name: 'staging' }), ok(transport, 201));
    const staged = expectStatus(
      await admin('deployments.deploy', { environment: 'staging', templateId: template.id }),
      200,
    );
    expect(staged.warnings).toEqual([]); // staging: a first deploy, and not production
    const real = await deploy();
    expect(real.warnings.map((warning: { code: string }) => warning.code)).toEqual(['requiredVariableAdded']);
  });

  it('simultaneous deploys, ramps and rollbacks of one deployment: each answers 200 or 409, and the records count on without a gap', async () => {
    const { admin, template, save } = await setup(transport, 'Race');
    await save();
    await save(); // versions 1, 2 and 3 to deploy
    expectStatus(await admin('environments.create', { name: 'race' }), ok(transport, 201));
    const at = { environment: 'race', templateId: template.id };
    // The first deploys find no deployment: they race to create it.
    const first = await Promise.all(
      [1, 2, 3, 1, 2, 3].map((templateVersion) => admin('deployments.deploy', { ...at, templateVersion })),
    );
    for (const response of first) expect(response.status, JSON.stringify(response.body)).toBe(200);
    const mixed = await Promise.all([
      admin('deployments.deploy', { ...at, templateVersion: 1 }),
      admin('deployments.rollback', at),
      admin('deployments.deploy', { ...at, templateVersion: 2, canaryPercent: 10 }),
      admin('deployments.rampCanary', { ...at, percent: 20 }),
      admin('deployments.rollback', at),
      admin('deployments.deploy', { ...at, templateVersion: 3 }),
    ]);
    for (const response of mixed) {
      // 409: nothing to roll back, no canary to ramp, or another canary running at that moment;
      // 400: a canary of the stable's own release at that moment. Never a 5xx.
      expect([200, 400, 409], JSON.stringify(response.body)).toContain(response.status);
    }
    const records = expectStatus(await admin('deployments.history', { ...at, limit: 100 }), 200).items;
    const numbers = records.map((record: { number: number }) => record.number);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers.length - i));
    const deployment = expectStatus(await admin('deployments.list', at), 200).items[0];
    expect(deployment.version).toBe(numbers[0]);
    expect(deployment.stable).toEqual(records[0].stable);
  });

  it('audit events of releases carry the release and the record number', async () => {
    const { tenant, admin, save, at, deploy } = await setup(transport, 'Audit');
    await save();
    await deploy();
    await save();
    await deploy({ canaryPercent: 10 });
    expectStatus(await admin('deployments.rampCanary', { ...at, percent: 40 }), 200);
    expectStatus(await admin('deployments.rollback', at), 200);
    const events = expectStatus(
      await caller(server, 'rest', tenant.adminToken)('audit.list', { resourceType: 'deployment' }),
      200,
    ).items;
    expect(events.map((event: { action: string; version: number }) => [event.action, event.version])).toEqual(
      [
        ['deployment.rolledBack', 5],
        ['deployment.canaryRamped', 4],
        ['deployment.deployed', 3],
        ['deployment.deployed', 2],
      ],
    );
    expect(events[0].release).toEqual({
      stable: expect.objectContaining({ templateVersion: 1 }),
      canary: null,
    });
    expect(events[1].release).toMatchObject({
      stable: { templateVersion: 2 },
      canary: { templateVersion: 3, percent: 40 },
    });
  });
});

describe(`who may read and change releases, on ${driverName}`, () => {
  async function keyOf(tenant: Tenant, scope: 'read' | 'write', environment?: string) {
    const created = await caller(
      server,
      'rest',
      tenant.adminToken,
    )('apiKeys.create', {
      name: `${scope} ${environment ?? 'any'}`,
      scope,
      environment,
    });
    return (expectStatus(created, 201) as { secret: string }).secret;
  }

  it.each(transports)(
    'members and read keys read; only admins and write keys change; other organizations see 404 (%s)',
    async (transport) => {
      const { tenant, admin, save, at, deploy } = await setup(transport, 'Access');
      await save();
      await deploy({ canaryPercent: 10 });
      const writes: [string, Record<string, unknown>][] = [
        ['deployments.rollback', at],
        ['deployments.rampCanary', { ...at, percent: 20 }],
        ['deployments.deploy', { ...at, dryRun: true }],
      ];
      const member = caller(server, transport, tenant.memberToken);
      const readKey = caller(server, transport, await keyOf(tenant, 'read'));
      const writeKey = caller(server, transport, await keyOf(tenant, 'write'));
      const nobody = caller(server, transport);
      const stranger = caller(server, transport, (await createTenant(server, 'Stranger')).adminToken);
      for (const [procedure, input] of writes) {
        expectError(await member(procedure, input), 403, 'FORBIDDEN');
        expectError(await readKey(procedure, input), 403, 'FORBIDDEN');
        expectError(await nobody(procedure, input), 401, 'UNAUTHORIZED');
        expectError(await stranger(procedure, input), 404, 'NOT_FOUND');
      }
      for (const who of [member, readKey]) {
        expect(expectStatus(await who('deployments.history', at), 200).items).toHaveLength(2);
        expect(
          expectStatus(await who('deployments.served', { environment: 'production' }), 200).items,
        ).toHaveLength(1);
      }
      expectError(await nobody('deployments.history', at), 401, 'UNAUTHORIZED');
      expectError(await stranger('deployments.history', at), 404, 'NOT_FOUND');
      expect(
        expectStatus(await stranger('deployments.served', { environment: 'production' }), 200).items,
      ).toEqual([]);
      expect(
        expectStatus(await writeKey('deployments.rampCanary', { ...at, percent: 20 }), 200).canary.percent,
      ).toBe(20);
      expect((await admin('deployments.history', at)).body.items[0].by).toMatchObject({ type: 'apiKey' });
    },
  );

  it.each(transports)(
    'a key bound to an environment reads and changes only what that environment serves (%s)',
    async (transport) => {
      const { tenant, admin, template, agent, at, deploy, save } = await setup(transport, 'Bound');
      await save();
      await deploy();
      expectStatus(await admin('environments.create', { name: 'staging' }), ok(transport, 201));
      const staging = { environment: 'staging', templateId: template.id };
      expectStatus(await admin('deployments.deploy', staging), 200);
      const bound = caller(server, transport, await keyOf(tenant, 'write', 'production'));
      expect(expectStatus(await bound('deployments.history', at), 200).items).toHaveLength(2);
      expect(
        expectStatus(await bound('deployments.served', { environment: 'production' }), 200).items,
      ).toHaveLength(1);
      expect(
        expectStatus(await bound('deployments.list', { environment: 'production' }), 200).items,
      ).toHaveLength(1);
      expectStatus(await bound('sessionTemplates.config', { id: template.id }), 200);
      expectStatus(await bound('catalog.get'), 200);
      expect(
        expectStatus(await bound('environments.list'), 200).items.map((e: { name: string }) => e.name),
      ).toEqual(['production']);
      expect(expectStatus(await bound('deployments.rollback', at), 200).stable.templateVersion).toBe(1);
      // The change events, which a runtime follows to learn of a release.
      const secret = await keyOf(tenant, 'read', 'production');
      const controller = new AbortController();
      const stream = await fetch(`${server.url}/api/v1/events?after=0`, {
        headers: { authorization: `Bearer ${secret}` },
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      controller.abort();
      for (const [procedure, input] of [
        ['deployments.history', staging],
        ['deployments.served', { environment: 'staging' }],
        ['deployments.list', { environment: 'staging' }],
        ['deployments.rollback', staging],
        ['sessionTemplates.get', { id: template.id }],
        ['sessionTemplates.list', {}],
        ['sessionTemplates.revisions', { id: template.id }],
        ['sessionTemplates.getMany', { ids: [template.id] }],
        ['agents.get', { id: agent.id }],
        ['agents.list', {}],
        ['config.export', {}],
        ['deployments.promote', { environment: 'production', from: 'staging', dryRun: true }],
      ] as [string, Record<string, unknown>][]) {
        expectError(await bound(procedure, input), 403, 'FORBIDDEN');
      }
    },
  );
});
