import { TRPCClientError } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  holdAgentLock,
  http,
  rowsOf,
  startServer,
  type TestServer,
  transports,
  trpcClient,
} from './server';

/**
 * Configuration bundles (docs/api.md "Configuration bundles"): a deterministic export, an import that
 * plans before it writes, all or nothing, with a revision per change.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

async function counts(organizationId: string) {
  const [row] = rowsOf<{ revisions: number; events: number }>(
    await server.database.db.execute(sql`select
      (select count(*)::int from revisions where organization_id = ${organizationId}) as revisions,
      (select count(*)::int from audit_events where organization_id = ${organizationId}) as events`),
  );
  return row!;
}

/** An organization with agents that hand off and templates that use them. */
async function populated(name: string) {
  const tenant = await createTenant(server, name);
  const admin = caller(server, 'rest', tenant.adminToken);
  const coder = expectStatus(
    await admin('agents.create', {
      name: 'Coder',
      instructions: 'Pair on code',
      modality: 'audio_screenshare',
      panels: ['coding_ide'],
      tools: ['run_tests'],
    }),
    201,
  );
  const triage = expectStatus(
    await admin('agents.create', {
      name: 'Triage',
      instructions: 'Greet',
      voice: 'alloy',
      handoffTargets: [coder.id],
    }),
    201,
  );
  expectStatus(
    await admin('sessionTemplates.create', {
      name: 'Interview',
      description: 'Two agents',
      agentIds: [triage.id, coder.id],
      initialAgentId: triage.id,
      modalityProfile: 'audio_screenshare',
      enabledPanels: ['coding_ide'],
      maxDurationSeconds: 3600,
    }),
    201,
  );
  expectStatus(await admin('sessionTemplates.create', { name: 'Ärger', agentIds: [triage.id] }), 201);
  expectStatus(await admin('sessionTemplates.create', { name: 'Zeta', agentIds: [triage.id] }), 201);
  return { tenant, admin };
}

describe(`configuration bundles (${driverName})`, () => {
  it('exports names for ids, sorted by code point, byte-identical for identical data, over REST and tRPC', async () => {
    const { tenant, admin } = await populated('Exporter');
    const first = await http(server, 'GET', '/api/v1/config/export', { token: tenant.adminToken });
    const bundle = expectStatus(first, 200);
    expect(bundle).toEqual({
      format: 'switchboard.bundle/v1',
      agents: [
        {
          name: 'Coder',
          instructions: 'Pair on code',
          model: 'gpt-4.1-mini',
          voice: null,
          tools: ['run_tests'],
          modality: 'audio_screenshare',
          panels: ['coding_ide'],
          handoffTargets: [],
          variables: [],
        },
        {
          name: 'Triage',
          instructions: 'Greet',
          model: 'gpt-4.1-mini',
          voice: 'alloy',
          tools: [],
          modality: 'audio_only',
          panels: [],
          handoffTargets: ['Coder'],
          variables: [],
        },
      ],
      sessionTemplates: [
        {
          name: 'Interview',
          description: 'Two agents',
          agents: ['Triage', 'Coder'],
          initialAgent: 'Triage',
          modalityProfile: 'audio_screenshare',
          enabledPanels: ['coding_ide'],
          maxDurationSeconds: 3600,
          idleTimeoutSeconds: 300,
        },
        expect.objectContaining({ name: 'Zeta' }),
        expect.objectContaining({ name: 'Ärger' }), // "Ä" (U+00C4) sorts after "Z" by code point
      ],
    });
    const text = async () =>
      (
        await fetch(`${server.url}/api/v1/config/export`, {
          headers: { authorization: `Bearer ${tenant.adminToken}` },
        })
      ).text();
    const bytes = await text();
    // An update that changes nothing of the bundle (a rename there and back) leaves the bytes.
    const interview = (await admin('sessionTemplates.list', { search: 'Interview' })).body.items[0];
    await admin('sessionTemplates.update', { id: interview.id, name: 'Renamed' });
    await admin('sessionTemplates.update', { id: interview.id, name: 'Interview' });
    expect(await text()).toBe(bytes);
    const viaTrpc = expectStatus(await caller(server, 'trpc', tenant.memberToken)('config.export'), 200);
    expect(viaTrpc).toEqual(bundle);
  });

  it('importing what was just exported changes nothing and writes nothing', async () => {
    const { tenant, admin } = await populated('Round trip');
    const bundle = expectStatus(await admin('config.export'), 200);
    const before = await counts(tenant.organizationId);
    for (const dryRun of [true, false]) {
      const plan = expectStatus(await admin('config.import', { bundle, dryRun }), 200);
      expect(plan.dryRun).toBe(dryRun);
      expect(plan.applied).toBe(false);
      expect(plan.changes.map((change: any) => `${change.kind}:${change.name}:${change.action}`)).toEqual([
        'agent:Coder:unchanged',
        'agent:Triage:unchanged',
        'sessionTemplate:Interview:unchanged',
        'sessionTemplate:Zeta:unchanged',
        'sessionTemplate:Ärger:unchanged',
      ]);
    }
    expect(await counts(tenant.organizationId)).toEqual(before);
  });

  it('exported from one organization and imported into an empty one, it exports the same bytes', async () => {
    const { admin } = await populated('Source');
    const bundle = expectStatus(await admin('config.export'), 200);
    const target = await createTenant(server, 'Target');
    const targetAdmin = caller(server, 'rest', target.adminToken);
    const plan = expectStatus(await targetAdmin('config.import', { bundle }), 200);
    expect(plan.applied).toBe(true);
    expect(plan.changes.every((change: any) => change.action === 'create')).toBe(true);
    expect(expectStatus(await targetAdmin('config.export'), 200)).toEqual(bundle);
    // A revision per change, action imported, and one config.imported event.
    const templates = expectStatus(await targetAdmin('sessionTemplates.list', {}), 200).items;
    const [revision] = expectStatus(
      await targetAdmin('sessionTemplates.revisions', { id: templates[0].id }),
      200,
    ).items;
    expect(revision).toMatchObject({
      version: 1,
      action: 'imported',
      actor: { type: 'user', id: target.adminId },
    });
    expect(Object.keys(revision.agentVersions).length).toBeGreaterThan(0);
    const events = expectStatus(await targetAdmin('audit.list', { action: 'config.imported' }), 200).items;
    expect(events).toEqual([
      expect.objectContaining({
        resource: { type: 'config', id: target.organizationId, name: 'Target' },
        version: null,
      }),
    ]);
    expect(
      expectStatus(await targetAdmin('audit.list', { action: 'agent.imported' }), 200).items,
    ).toHaveLength(2);
  });

  it('updates what differs (naming the fields), creates what is new, and prunes only when asked', async () => {
    const { tenant, admin } = await populated('Changer');
    const bundle = expectStatus(await admin('config.export'), 200);
    bundle.agents[1].instructions = 'Greet warmly';
    bundle.agents[1].voice = 'verse';
    bundle.agents.push({ name: 'Notes', instructions: 'Take notes', panels: ['notepad'] });
    bundle.sessionTemplates[0].idleTimeoutSeconds = 120;
    bundle.sessionTemplates = bundle.sessionTemplates.filter((spec: any) => spec.name !== 'Zeta');
    const dry = expectStatus(await admin('config.import', { bundle, dryRun: true }), 200);
    const summary = (plan: any) => plan.changes.map((c: any) => [c.kind, c.name, c.action, c.fields]);
    expect(summary(dry)).toEqual([
      ['agent', 'Coder', 'unchanged', []],
      ['agent', 'Notes', 'create', []],
      ['agent', 'Triage', 'update', ['instructions', 'voice']],
      ['sessionTemplate', 'Interview', 'update', ['idleTimeoutSeconds']],
      ['sessionTemplate', 'Ärger', 'unchanged', []],
    ]);
    const before = await counts(tenant.organizationId);
    const applied = expectStatus(await admin('config.import', { bundle }), 200);
    expect(summary(applied)).toEqual(summary(dry));
    // 3 revisions (Notes, Triage, Interview), their 3 events and config.imported.
    expect(await counts(tenant.organizationId)).toEqual({
      revisions: before.revisions + 3,
      events: before.events + 4,
    });
    expect(expectStatus(await admin('sessionTemplates.list', { search: 'Zeta' }), 200).items).toHaveLength(1);

    const pruned = expectStatus(await admin('config.import', { bundle, prune: true, dryRun: true }), 200);
    expect(pruned.changes.filter((c: any) => c.action !== 'unchanged')).toEqual([
      { kind: 'sessionTemplate', name: 'Zeta', action: 'delete', fields: [] },
    ]);
    expectStatus(await admin('config.import', { bundle, prune: true }), 200);
    expect(expectStatus(await admin('sessionTemplates.list', { search: 'Zeta' }), 200).items).toHaveLength(0);
    const deleted = expectStatus(
      await admin('sessionTemplates.list', { search: 'Zeta', status: 'deleted' }),
      200,
    ).items;
    expect(deleted).toHaveLength(1);
  });

  it('a bundle with one bad entry changes nothing at all, and names every offender', async () => {
    const { tenant, admin } = await populated('Refused');
    const bundle = expectStatus(await admin('config.export'), 200);
    const before = expectStatus(await admin('config.export'), 200);
    const beforeCounts = await counts(tenant.organizationId);
    const bad = structuredClone(bundle);
    bad.agents[0].instructions = 'changed';
    bad.agents[1].handoffTargets = ['Ghost', 'Triage'];
    bad.sessionTemplates[0].agents = ['Triage', 'Nobody'];
    bad.sessionTemplates[1].enabledPanels = ['whiteboard'];
    bad.sessionTemplates.push({ name: 'Greeting', agents: ['Coder'], initialAgent: 'Missing' });
    for (const dryRun of [true, false]) {
      const refused = expectError(await admin('config.import', { bundle: bad, dryRun }), 400, 'BAD_REQUEST');
      expect(refused.details.issues.map((issue: any) => issue.path.join('.'))).toEqual([
        'bundle.agents.1.handoffTargets.0',
        'bundle.agents.1.handoffTargets.1',
        'bundle.sessionTemplates.0.agents.1',
        'bundle.sessionTemplates.1',
        'bundle.sessionTemplates.3.initialAgent',
      ]);
    }
    expect(expectStatus(await admin('config.export'), 200)).toEqual(before);
    expect(await counts(tenant.organizationId)).toEqual(beforeCounts);

    // A repeated name is named once, at the repeat, in the same answer as every other problem,
    // each at its place in the bundle sent.
    const twice = structuredClone(bundle);
    twice.agents.splice(1, 0, { ...bundle.agents[0] });
    twice.sessionTemplates.unshift({ ...bundle.sessionTemplates[0] });
    twice.sessionTemplates[2].agents = ['Nobody'];
    const duplicate = expectError(await admin('config.import', { bundle: twice }), 400, 'BAD_REQUEST');
    expect(duplicate.details.issues.map((issue: any) => issue.path.join('.'))).toEqual([
      'bundle.agents.1.name',
      'bundle.sessionTemplates.1.name',
      'bundle.sessionTemplates.2.agents.0',
    ]);
    expect(duplicate.details.issues[0].message).toMatch(/names "Coder" more than once/);
    expectError(
      await admin('config.import', { bundle: { ...bundle, format: 'other/v9' } }),
      400,
      'BAD_REQUEST',
    );
    expectError(await admin('config.import', { bundle: { ...bundle, extra: 1 } }), 400, 'BAD_REQUEST');
    expectError(await admin('config.import', { bundle, extra: 1 }), 400, 'BAD_REQUEST');

    // A kept template that the bundle's agents would break is named too (without prune).
    const breaking = structuredClone(bundle);
    breaking.sessionTemplates = [];
    breaking.agents[0].modality = 'audio_camera';
    const kept = expectError(await admin('config.import', { bundle: breaking }), 400, 'BAD_REQUEST');
    expect(kept.details.issues.map((issue: any) => issue.path.join('.'))).toEqual([
      'organization.sessionTemplates.Interview',
    ]);
  });

  it('two active entities of one name in the organization make the import 409 naming them', async () => {
    const { admin } = await populated('Twins');
    const bundle = expectStatus(await admin('config.export'), 200);
    expectStatus(await admin('agents.create', { name: 'Coder', instructions: 'Another' }), 201);
    const conflict = expectError(await admin('config.import', { bundle, dryRun: true }), 409, 'CONFLICT');
    expect(conflict.details).toEqual({ agentNames: ['Coder'], sessionTemplateNames: [] });
    expectStatus(
      await admin('sessionTemplates.create', {
        name: 'Zeta',
        agentIds: [
          bundle.agents.length && (await admin('agents.list', { search: 'Triage' })).body.items[0].id,
        ],
      }),
      201,
    );
    const both = expectError(await admin('config.import', { bundle }), 409, 'CONFLICT');
    expect(both.details).toEqual({ agentNames: ['Coder'], sessionTemplateNames: ['Zeta'] });
    // Twins the bundle does not name are no obstacle.
    const elsewhere = { ...bundle, agents: [], sessionTemplates: [] };
    expect(expectStatus(await admin('config.import', { bundle: elsewhere, dryRun: true }), 200).applied).toBe(
      false,
    );
  });

  it('members and read keys may export but not import; another organization is untouched', async () => {
    const { tenant, admin } = await populated('Permissions');
    const bundle = expectStatus(await admin('config.export'), 200);
    const read = expectStatus(await admin('apiKeys.create', { name: 'r', scope: 'read' }), 201).secret;
    const write = expectStatus(await admin('apiKeys.create', { name: 'w', scope: 'write' }), 201).secret;
    for (const transport of transports) {
      const member: Call = caller(server, transport, tenant.memberToken);
      expectStatus(await member('config.export'), 200);
      expectError(await member('config.import', { bundle }), 403, 'FORBIDDEN');
      expectStatus(await caller(server, transport, read)('config.export'), 200);
      expectError(await caller(server, transport, read)('config.import', { bundle }), 403, 'FORBIDDEN');
      expectStatus(await caller(server, transport, write)('config.import', { bundle, dryRun: true }), 200);
      expectError(await caller(server, transport)('config.export'), 401, 'UNAUTHORIZED');
    }
    const other = await createTenant(server, 'Bystander');
    const otherAdmin = caller(server, 'rest', other.adminToken);
    expect(expectStatus(await otherAdmin('config.export'), 200)).toEqual({
      format: 'switchboard.bundle/v1',
      agents: [],
      sessionTemplates: [],
    });
    // Importing into another organization creates its own copies; ours stays as it was.
    expectStatus(await otherAdmin('config.import', { bundle }), 200);
    expect(expectStatus(await admin('config.export'), 200)).toEqual(bundle);
  });

  it('takes bodies up to 8 MiB on the import route only, over REST and tRPC alike', async () => {
    const { tenant, admin } = await populated('Large');
    const bundle = expectStatus(await admin('config.export'), 200);
    const padded = {
      bundle: {
        ...bundle,
        agents: bundle.agents.map((a: any) => ({ ...a, instructions: 'x'.repeat(90_000) })),
      },
    };
    padded.bundle.agents.push(
      ...Array.from({ length: 20 }, (_, i) => ({ name: `Filler ${i}`, instructions: 'y'.repeat(90_000) })),
    );
    const body = JSON.stringify({ ...padded, dryRun: true });
    expect(body.length).toBeGreaterThan(1_048_576);
    expectStatus(
      await http(server, 'POST', '/api/v1/config/import', { token: tenant.adminToken, body }),
      200,
    );
    const tooLarge = await http(server, 'POST', '/api/v1/config/import', {
      token: tenant.adminToken,
      body: JSON.stringify({ bundle, dryRun: true, pad: 'z'.repeat(8 * 1024 * 1024) }),
    });
    expectError(tooLarge, 413, 'PAYLOAD_TOO_LARGE');
    const elsewhere = await http(server, 'POST', '/api/v1/agents', {
      token: tenant.adminToken,
      body: JSON.stringify({ name: 'x', instructions: 'y'.repeat(1_100_000) }),
    });
    expectError(elsewhere, 413, 'PAYLOAD_TOO_LARGE');

    // tRPC: the same limits, and every 413 a TRPCClientError the typed client reads, batched or not.
    const client = trpcClient(server, tenant.adminToken);
    const plan = await client.config.import.mutate({ ...padded, dryRun: true });
    expect(plan.dryRun).toBe(true);
    // One call at a time (not batched together): the import over 8 MiB, a create over 1 MiB.
    const refusals = [
      await client.config.import
        .mutate({ bundle, dryRun: true, pad: 'z'.repeat(8 * 1024 * 1024) } as never)
        .catch((error) => error),
      await client.agents.create
        .mutate({ name: 'x', instructions: 'y'.repeat(1_100_000) })
        .catch((error) => error),
    ];
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(TRPCClientError);
      expect(refusal.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
      expect(refusal.message).toMatch(/larger than/);
    }
    // Two calls in one batch over the 1 MiB limit: both get the 413.
    const [first, second] = await Promise.all([
      client.agents.create
        .mutate({
          name: 'a',
          instructions: 'y'.repeat(99_000),
          tools: Array(30).fill('t'.repeat(20_000)),
        } as never)
        .catch((error) => error),
      client.agents.create
        .mutate({
          name: 'b',
          instructions: 'y'.repeat(99_000),
          tools: Array(30).fill('t'.repeat(20_000)),
        } as never)
        .catch((error) => error),
    ]);
    expect(first.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(second.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('an export during concurrent creates is one snapshot: it always re-imports cleanly', async () => {
    const { admin } = await populated('Snapshot');
    const target = await createTenant(server, 'Snapshot target');
    const targetAdmin = caller(server, 'rest', target.adminToken);
    for (let round = 0; round < 8; round++) {
      const creating = (async () => {
        const agent = expectStatus(
          await admin('agents.create', { name: `Late ${round}`, instructions: 'i' }),
          201,
        );
        expectStatus(
          await admin('sessionTemplates.create', { name: `Late ${round}`, agentIds: [agent.id] }),
          201,
        );
      })();
      const [exported] = await Promise.all([admin('config.export'), creating]);
      const bundle = expectStatus(exported, 200);
      const agentNames = new Set(bundle.agents.map((agent: { name: string }) => agent.name));
      for (const template of bundle.sessionTemplates) {
        for (const name of template.agents) expect(agentNames, `${template.name}: ${name}`).toContain(name);
      }
      const plan = expectStatus(await targetAdmin('config.import', { bundle, dryRun: true }), 200);
      expect(plan.dryRun).toBe(true);
    }
  });

  it("an applied import of many changes moves each template's session config once, and records every change", async () => {
    const { tenant, admin } = await populated('Set-wise');
    const bundle = expectStatus(await admin('config.export'), 200);
    const before = await counts(tenant.organizationId);
    const templates = expectStatus(await admin('sessionTemplates.list', { limit: 100 }), 200).items;
    const etags = new Map<string, string>();
    for (const template of templates) {
      etags.set(
        template.id,
        expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200).etag,
      );
    }
    const changed = {
      ...bundle,
      agents: bundle.agents.map((agent: { instructions: string }) => ({
        ...agent,
        instructions: `${agent.instructions} (v2)`,
      })),
      sessionTemplates: bundle.sessionTemplates.map((template: { description: string | null }) => ({
        ...template,
        description: 'v2',
      })),
    };
    const plan = expectStatus(await admin('config.import', { bundle: changed }), 200);
    expect(plan.changes.every((change: { action: string }) => change.action === 'update')).toBe(true);
    const after = await counts(tenant.organizationId);
    const changes = bundle.agents.length + bundle.sessionTemplates.length;
    // A revision and an event per change, and config.imported.
    expect(after).toEqual({ revisions: before.revisions + changes, events: before.events + changes + 1 });
    for (const template of templates) {
      const config = expectStatus(await admin('sessionTemplates.config', { id: template.id }), 200);
      expect(config.etag).not.toBe(etags.get(template.id));
      for (const agent of config.agents) expect(agent.instructions).toMatch(/\(v2\)$/);
    }
    expect(expectStatus(await admin('config.export'), 200)).toEqual(changed);
  });

  it.skipIf(!process.env.DATABASE_URL)(
    'an export and a dry run take no lock: a row held by a concurrent write does not make them wait',
    async () => {
      const { admin } = await populated('No locks');
      const agents = expectStatus(await admin('agents.list', { limit: 100 }), 200).items;
      const bundle = expectStatus(await admin('config.export'), 200);
      const lock = await holdAgentLock(server.database.url!, agents[0].id);
      try {
        const began = Date.now();
        expectStatus(await admin('config.export'), 200);
        const plan = expectStatus(
          await admin('config.import', {
            bundle: { ...bundle, agents: bundle.agents.map((a: object) => ({ ...a, instructions: 'new' })) },
            dryRun: true,
          }),
          200,
        );
        expect(plan.changes.some((change: { action: string }) => change.action === 'update')).toBe(true);
        expect(Date.now() - began).toBeLessThan(2_000); // a lock wait would last the statement timeout (5 s)
      } finally {
        await lock.release();
      }
    },
  );
});
