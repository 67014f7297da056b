import { AGENT_MODALITIES, MODALITY_PROFILES, profileCovers } from '@switchboard/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  expectError,
  foreignAgent,
  http,
  MISSING_ID,
  ok,
  startServer,
  type Tenant,
  type TestServer,
  transports,
} from './server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

interface Agents {
  triage: { id: string };
  coder: { id: string };
  camera: { id: string };
}

async function createAgents(admin: Call): Promise<Agents> {
  const make = async (input: Record<string, unknown>) => {
    const res = await admin('agents.create', { instructions: 'Help', ...input });
    if (res.body?.id === undefined) throw new Error(JSON.stringify(res.body));
    return res.body as { id: string };
  };
  return {
    triage: await make({ name: 'Triage Agent', modality: 'audio_only', panels: ['notepad'] }),
    coder: await make({
      name: 'Coding Expert',
      modality: 'audio_screenshare',
      panels: ['coding_ide', 'notepad'],
    }),
    camera: await make({ name: 'Camera Coach', modality: 'audio_camera', panels: ['whiteboard'] }),
  };
}

describe.each(transports)(`session templates over %s (${driverName})`, (transport) => {
  let tenant: Tenant;
  let admin: Call;
  let member: Call;
  let agents: Agents;
  let count: () => Promise<number>;
  const valid = () => ({
    name: 'Default Coding Interview',
    agentIds: [agents.triage.id, agents.coder.id],
    initialAgentId: agents.triage.id,
    modalityProfile: 'audio_screenshare',
    enabledPanels: ['coding_ide'],
    maxDurationSeconds: 3600,
    idleTimeoutSeconds: 300,
  });
  beforeAll(async () => {
    tenant = await createTenant(server);
    admin = caller(server, transport, tenant.adminToken);
    member = caller(server, transport, tenant.memberToken);
    agents = await createAgents(admin);
    count = async () => {
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await admin('sessionTemplates.list', { limit: 100, ...(cursor ? { cursor } : {}) });
        total += page.body.items.length;
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      return total;
    };
  });

  it('creates a template with every field, and reads it back (7.4, 7.5)', async () => {
    const created = await admin('sessionTemplates.create', { ...valid(), description: 'Screening' });
    expect(created.status).toBe(ok(transport, 201));
    expect(created.body).toEqual({
      id: expect.any(String),
      organizationId: tenant.organizationId,
      ...valid(),
      description: 'Screening',
      isActive: true,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const got = await member('sessionTemplates.get', { id: created.body.id });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
  });

  it('applies the defaults of the contract', async () => {
    const created = await admin('sessionTemplates.create', {
      name: '  Minimal  ',
      agentIds: [agents.triage.id],
    });
    expect(created.body).toMatchObject({
      name: 'Minimal',
      description: null,
      initialAgentId: null,
      modalityProfile: 'audio_only',
      enabledPanels: [],
      maxDurationSeconds: null,
      idleTimeoutSeconds: 300,
      version: 1,
    });
  });

  it('refuses schema violations with details.issues, and writes nothing', async () => {
    const before = await count();
    const base = valid();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, name: '' }, 'name'],
      [{ ...base, name: '    ' }, 'name'],
      [{ ...base, name: 'x'.repeat(256) }, 'name'],
      [{ ...base, name: 42 }, 'name'],
      [{ ...base, agentIds: [] }, 'agentIds'],
      [{ ...base, agentIds: Array.from({ length: 51 }, () => MISSING_ID) }, 'agentIds'],
      [{ ...base, agentIds: [agents.triage.id, agents.triage.id] }, 'agentIds'],
      [{ ...base, agentIds: ['not-a-uuid'] }, 'agentIds.0'],
      [{ ...base, agentIds: agents.triage.id }, 'agentIds'],
      [{ ...base, modalityProfile: 'video' }, 'modalityProfile'],
      [{ ...base, enabledPanels: ['chat'] }, 'enabledPanels.0'],
      [{ ...base, enabledPanels: ['coding_ide', 'coding_ide'] }, 'enabledPanels'],
      [{ ...base, enabledPanels: null }, 'enabledPanels'],
      [{ ...base, maxDurationSeconds: 0 }, 'maxDurationSeconds'],
      [{ ...base, maxDurationSeconds: -5 }, 'maxDurationSeconds'],
      [{ ...base, maxDurationSeconds: 1.5 }, 'maxDurationSeconds'],
      [{ ...base, maxDurationSeconds: 2_147_483_648 }, 'maxDurationSeconds'],
      [{ ...base, maxDurationSeconds: 1e300 }, 'maxDurationSeconds'],
      [{ ...base, idleTimeoutSeconds: 0 }, 'idleTimeoutSeconds'],
      [{ ...base, idleTimeoutSeconds: '300' }, 'idleTimeoutSeconds'],
      [{ ...base, idleTimeoutSeconds: null }, 'idleTimeoutSeconds'],
      [{ ...base, initialAgentId: 'nope' }, 'initialAgentId'],
      [{ ...base, description: 7 }, 'description'],
      [{ ...base, version: 1 }, 'version'],
      [{ ...base, id: MISSING_ID }, 'id'],
      [{ ...base, isActive: true }, 'isActive'],
      [{ ...base, organizationId: MISSING_ID }, 'organizationId'],
      [{ ...base, createdAt: '2020-01-01T00:00:00.000Z' }, 'createdAt'],
      [{ ...base, surprise: { nested: [1, 2] } }, 'surprise'],
    ];
    for (const [input, path] of cases) {
      const res = await admin('sessionTemplates.create', input);
      const error = expectError(res, 400, 'BAD_REQUEST');
      const paths = error.details.issues.map((issue: { path: string[] }) => issue.path.join('.'));
      expect(paths, JSON.stringify(input).slice(0, 200)).toContain(path);
    }
    const many = expectError(
      await admin('sessionTemplates.create', { name: '', agentIds: [], idleTimeoutSeconds: -1, extra: 1 }),
      400,
      'BAD_REQUEST',
    );
    expect(many.details.issues.map((issue: { path: string[] }) => issue.path.join('.')).sort()).toEqual([
      'agentIds',
      'extra',
      'idleTimeoutSeconds',
      'name',
    ]);
    expect(await count()).toBe(before);
  });

  it('accepts the int4 maximum and trims names; 255 characters is fine', async () => {
    const created = await admin('sessionTemplates.create', {
      ...valid(),
      name: ` ${'n'.repeat(255)} `,
      maxDurationSeconds: 2_147_483_647,
      idleTimeoutSeconds: 2_147_483_647,
    });
    expect(created.status).toBe(ok(transport, 201));
    expect(created.body.name).toHaveLength(255);
    expect(created.body.maxDurationSeconds).toBe(2_147_483_647);
  });

  it('names every invalid agent id: missing, deleted, and other organizations alike (7.6)', async () => {
    const before = await count();
    const deleted = (await admin('agents.create', { name: 'Deleted', instructions: 'i' })).body;
    await admin('agents.delete', { id: deleted.id });
    const foreign = await foreignAgent(server, transport);
    const error = expectError(
      await admin('sessionTemplates.create', {
        ...valid(),
        agentIds: [agents.triage.id, MISSING_ID, deleted.id, foreign.id, agents.coder.id],
      }),
      400,
      'BAD_REQUEST',
    );
    expect(error.details.invalidAgentIds).toEqual([MISSING_ID, deleted.id, foreign.id]);
    expect(error.message).toContain(MISSING_ID);
    expect(await count()).toBe(before);
  });

  it('requires initialAgentId to be one of agentIds', async () => {
    const error = expectError(
      await admin('sessionTemplates.create', { ...valid(), initialAgentId: agents.camera.id }),
      400,
      'BAD_REQUEST',
    );
    expect(error.details.issues).toEqual([{ path: ['initialAgentId'], message: expect.any(String) }]);
    expect(error.details.invalidAgentIds).toBeUndefined();
  });

  it('checks every agent modality against every modality profile', async () => {
    const byModality: Record<string, string> = {
      audio_only: agents.triage.id,
      audio_screenshare: agents.coder.id,
      audio_camera: agents.camera.id,
    };
    for (const modality of AGENT_MODALITIES) {
      for (const modalityProfile of MODALITY_PROFILES) {
        const agentId = byModality[modality]!;
        const res = await admin('sessionTemplates.create', {
          name: `${modality} in ${modalityProfile}`,
          agentIds: [agentId],
          modalityProfile,
        });
        if (profileCovers(modalityProfile, modality)) {
          expect(res.status, `${modality} in ${modalityProfile}`).toBe(ok(transport, 201));
        } else {
          const error = expectError(res, 400, 'BAD_REQUEST');
          expect(error.details.uncoveredAgentIds).toEqual([agentId]);
        }
      }
    }
    const all = expectError(
      await admin('sessionTemplates.create', {
        name: 'x',
        agentIds: [agents.triage.id, agents.coder.id, agents.camera.id],
        modalityProfile: 'audio_only',
      }),
      400,
      'BAD_REQUEST',
    );
    expect(all.details.uncoveredAgentIds).toEqual([agents.coder.id, agents.camera.id]);
    const covered = await admin('sessionTemplates.create', {
      name: 'everything',
      agentIds: [agents.triage.id, agents.coder.id, agents.camera.id],
      modalityProfile: 'audio_camera_screenshare',
      enabledPanels: ['coding_ide', 'notepad', 'whiteboard'],
    });
    expect(covered.status).toBe(ok(transport, 201));
  });

  it('requires every enabled panel to be provided by an agent of the set, naming each missing one', async () => {
    const error = expectError(
      await admin('sessionTemplates.create', {
        name: 'x',
        agentIds: [agents.triage.id],
        enabledPanels: ['notepad', 'coding_ide', 'whiteboard', 'slide_presenter'],
      }),
      400,
      'BAD_REQUEST',
    );
    expect(error.details.unsupportedPanels).toEqual(['coding_ide', 'whiteboard', 'slide_presenter']);
    for (const enabledPanels of [[], ['notepad']]) {
      const res = await admin('sessionTemplates.create', {
        name: 'p',
        agentIds: [agents.triage.id],
        enabledPanels,
      });
      expect(res.status).toBe(ok(transport, 201));
    }
  });

  it('updates partially: omitted fields keep their value, explicit null clears, version goes up', async () => {
    const created = (await admin('sessionTemplates.create', { ...valid(), description: 'd' })).body;
    const renamed = await admin('sessionTemplates.update', { id: created.id, name: '  Renamed ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({
      ...created,
      name: 'Renamed',
      version: 2,
      updatedAt: expect.any(String),
    });
    expect(new Date(renamed.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(created.updatedAt).getTime(),
    );

    const cleared = await admin('sessionTemplates.update', {
      id: created.id,
      description: null,
      initialAgentId: null,
      maxDurationSeconds: null,
      version: 2,
    });
    expect(cleared.body).toMatchObject({
      name: 'Renamed',
      description: null,
      initialAgentId: null,
      maxDurationSeconds: null,
      idleTimeoutSeconds: 300,
      version: 3,
    });
    for (const field of ['name', 'agentIds', 'modalityProfile', 'enabledPanels', 'idleTimeoutSeconds']) {
      expectError(
        await admin('sessionTemplates.update', { id: created.id, [field]: null }),
        400,
        'BAD_REQUEST',
      );
    }
    const got = await admin('sessionTemplates.get', { id: created.id });
    expect(got.body.version).toBe(3);
  });

  it('refuses a stale version with 409 and changes nothing', async () => {
    const created = (await admin('sessionTemplates.create', valid())).body;
    await admin('sessionTemplates.update', { id: created.id, name: 'v2', version: 1 });
    const stale = expectError(
      await admin('sessionTemplates.update', { id: created.id, name: 'stale', version: 1 }),
      409,
      'CONFLICT',
    );
    expect(stale.message).toMatch(/version/);
    const got = await admin('sessionTemplates.get', { id: created.id });
    expect(got.body).toMatchObject({ name: 'v2', version: 2 });
  });

  it('validates the template as it would be after the update (400, nothing changed)', async () => {
    const created = (await admin('sessionTemplates.create', valid())).body;
    const dropsInitial = expectError(
      await admin('sessionTemplates.update', { id: created.id, agentIds: [agents.coder.id] }),
      400,
      'BAD_REQUEST',
    );
    expect(dropsInitial.details.issues[0].path).toEqual(['initialAgentId']);
    const dropsProvider = expectError(
      await admin('sessionTemplates.update', {
        id: created.id,
        agentIds: [agents.triage.id],
        initialAgentId: null,
      }),
      400,
      'BAD_REQUEST',
    );
    expect(dropsProvider.details.unsupportedPanels).toEqual(['coding_ide']);
    const narrows = expectError(
      await admin('sessionTemplates.update', { id: created.id, modalityProfile: 'audio_only' }),
      400,
      'BAD_REQUEST',
    );
    expect(narrows.details.uncoveredAgentIds).toEqual([agents.coder.id]);
    expectError(
      await admin('sessionTemplates.update', {
        id: created.id,
        agentIds: [agents.triage.id, agents.coder.id, MISSING_ID],
      }),
      400,
      'BAD_REQUEST',
    );
    const got = await admin('sessionTemplates.get', { id: created.id });
    expect(got.body).toEqual(created);

    const fixed = await admin('sessionTemplates.update', {
      id: created.id,
      agentIds: [agents.coder.id],
      initialAgentId: agents.coder.id,
    });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({
      agentIds: [agents.coder.id],
      initialAgentId: agents.coder.id,
      version: 2,
    });
  });

  it('soft-deletes: 204, then 404 for get, update, clone and a second delete; gone from the list', async () => {
    const created = (await admin('sessionTemplates.create', { ...valid(), name: 'To delete' })).body;
    expect((await admin('sessionTemplates.delete', { id: created.id })).status).toBe(ok(transport, 204));
    expectError(await admin('sessionTemplates.get', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await member('sessionTemplates.get', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await admin('sessionTemplates.update', { id: created.id, name: 'x' }), 404, 'NOT_FOUND');
    expectError(await admin('sessionTemplates.clone', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await admin('sessionTemplates.delete', { id: created.id }), 404, 'NOT_FOUND');
    const list = await admin('sessionTemplates.list', { search: 'To delete' });
    expect(list.body.items).toEqual([]);
  });

  it('clones: new id, version 1, " (Copy)", every setting copied (7.7)', async () => {
    const source = (await admin('sessionTemplates.create', { ...valid(), description: 'desc' })).body;
    await admin('sessionTemplates.update', { id: source.id, idleTimeoutSeconds: 120 });
    const clone = await admin('sessionTemplates.clone', { id: source.id });
    expect(clone.status).toBe(ok(transport, 201));
    expect(clone.body.id).not.toBe(source.id);
    expect(clone.body).toMatchObject({
      name: 'Default Coding Interview (Copy)',
      description: 'desc',
      agentIds: source.agentIds,
      initialAgentId: source.initialAgentId,
      modalityProfile: source.modalityProfile,
      enabledPanels: source.enabledPanels,
      maxDurationSeconds: source.maxDurationSeconds,
      idleTimeoutSeconds: 120,
      version: 1,
      isActive: true,
      organizationId: tenant.organizationId,
    });
    const ofClone = await admin('sessionTemplates.clone', { id: clone.body.id });
    expect(ofClone.body.name).toBe('Default Coding Interview (Copy) (Copy)');
  });

  it('shortens a 255-character name so the copy fits', async () => {
    const name = `${'a'.repeat(250)}bcdef`;
    const source = (await admin('sessionTemplates.create', { ...valid(), name })).body;
    const clone = await admin('sessionTemplates.clone', { id: source.id });
    expect(clone.body.name).toHaveLength(255);
    expect(clone.body.name).toBe(`${name.slice(0, 248)} (Copy)`);
  });

  it('members read but never write (403); anonymous callers get 401', async () => {
    const created = (await admin('sessionTemplates.create', valid())).body;
    expectError(await member('sessionTemplates.create', valid()), 403, 'FORBIDDEN');
    expectError(await member('sessionTemplates.update', { id: created.id, name: 'x' }), 403, 'FORBIDDEN');
    expectError(await member('sessionTemplates.delete', { id: created.id }), 403, 'FORBIDDEN');
    expectError(await member('sessionTemplates.clone', { id: created.id }), 403, 'FORBIDDEN');
    expect((await member('sessionTemplates.list', {})).status).toBe(200);
    expect((await member('sessionTemplates.get', { id: created.id })).status).toBe(200);
    const anonymous = caller(server, transport);
    for (const [procedure, input] of [
      ['sessionTemplates.create', valid()],
      ['sessionTemplates.list', {}],
      ['sessionTemplates.get', { id: created.id }],
      ['sessionTemplates.update', { id: created.id, name: 'x' }],
      ['sessionTemplates.delete', { id: created.id }],
      ['sessionTemplates.clone', { id: created.id }],
    ] as const) {
      expectError(await anonymous(procedure, input), 401, 'UNAUTHORIZED');
    }
    expect((await admin('sessionTemplates.get', { id: created.id })).body).toEqual(created);
  });

  it("another organization's template is 404 everywhere, and its agents are invalid references", async () => {
    const created = (await admin('sessionTemplates.create', valid())).body;
    const other = await createTenant(server);
    const otherAdmin = caller(server, transport, other.adminToken);
    const otherMember = caller(server, transport, other.memberToken);
    expectError(await otherMember('sessionTemplates.get', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await otherAdmin('sessionTemplates.update', { id: created.id, name: 'x' }), 404, 'NOT_FOUND');
    expectError(await otherAdmin('sessionTemplates.delete', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await otherAdmin('sessionTemplates.clone', { id: created.id }), 404, 'NOT_FOUND');
    const otherList = await otherAdmin('sessionTemplates.list', {});
    expect(otherList.body.items).toEqual([]);
    const borrowed = expectError(
      await otherAdmin('sessionTemplates.create', { name: 'x', agentIds: [agents.triage.id] }),
      400,
      'BAD_REQUEST',
    );
    expect(borrowed.details.invalidAgentIds).toEqual([agents.triage.id]);
    expect((await admin('sessionTemplates.get', { id: created.id })).body).toEqual(created);
  });

  it('guards agents in use: delete is 409 with templateIds, and so is an update that breaks a template', async () => {
    const solo = (
      await admin('agents.create', {
        name: 'Solo',
        instructions: 'i',
        modality: 'audio_camera',
        panels: ['whiteboard'],
      })
    ).body;
    const template = (
      await admin('sessionTemplates.create', {
        name: 'Uses solo',
        agentIds: [solo.id],
        modalityProfile: 'audio_camera',
        enabledPanels: ['whiteboard'],
      })
    ).body;
    const inUse = expectError(await admin('agents.delete', { id: solo.id }), 409, 'CONFLICT');
    expect(inUse.details.templateIds).toEqual([template.id]);
    const modality = expectError(
      await admin('agents.update', { id: solo.id, modality: 'audio_screenshare' }),
      409,
      'CONFLICT',
    );
    expect(modality.details.templateIds).toEqual([template.id]);
    const panels = expectError(
      await admin('agents.update', { id: solo.id, panels: ['notepad'] }),
      409,
      'CONFLICT',
    );
    expect(panels.details.templateIds).toEqual([template.id]);
    expect((await admin('agents.get', { id: solo.id })).body).toMatchObject({
      modality: 'audio_camera',
      panels: ['whiteboard'],
    });

    const harmless = await admin('agents.update', {
      id: solo.id,
      modality: 'audio_only',
      panels: ['whiteboard', 'notepad'],
    });
    expect(harmless.status).toBe(200);

    await admin('sessionTemplates.delete', { id: template.id });
    expect((await admin('agents.delete', { id: solo.id })).status).toBe(ok(transport, 204));
  });
});

describe(`session template lists and concurrency (${driverName})`, () => {
  let tenant: Tenant;
  let admin: Call;
  let agents: Agents;
  beforeAll(async () => {
    tenant = await createTenant(server);
    admin = caller(server, 'rest', tenant.adminToken);
    agents = await createAgents(admin);
  });

  it('walks every page exactly once, newest first, even while others are inserted', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(
        (await admin('sessionTemplates.create', { name: `Walk ${i}`, agentIds: [agents.triage.id] })).body.id,
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let inserted = 0;
    do {
      const page = await admin('sessionTemplates.list', {
        limit: 5,
        search: 'Walk',
        ...(cursor ? { cursor } : {}),
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.body.items.map((template: { id: string }) => template.id));
      cursor = page.body.nextCursor ?? undefined;
      await admin('sessionTemplates.create', {
        name: `Walk new ${inserted++}`,
        agentIds: [agents.triage.id],
      });
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const defaults = await admin('sessionTemplates.list', {});
    expect(defaults.body.items.length).toBe(Math.min(50, 12 + inserted));
    const viaHttp = await http(server, 'GET', '/api/v1/session-templates?limit=2&search=walk%20NEW', {
      token: tenant.memberToken,
    });
    expect(viaHttp.body.items.map((t: { name: string }) => t.name)).toEqual([
      `Walk new ${inserted - 1}`,
      `Walk new ${inserted - 2}`,
    ]);
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=2.5', 'cursor=bogus', 'unknown=1']) {
      expectError(
        await http(server, 'GET', `/api/v1/session-templates?${query}`, { token: tenant.memberToken }),
        400,
        'BAD_REQUEST',
      );
    }
  });

  it('of 50 parallel updates with the same version exactly one wins; the rest are 409', async () => {
    const template = (await admin('sessionTemplates.create', { name: 'Race', agentIds: [agents.triage.id] }))
      .body;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admin('sessionTemplates.update', { id: template.id, name: `Winner ${i}`, version: 1 }),
      ),
    );
    const winners = results.filter((result) => result.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => result.status === 409)).toHaveLength(49);
    const final = (await admin('sessionTemplates.get', { id: template.id })).body;
    expect(final).toMatchObject({ name: winners[0]!.body.name, version: 2 });
  });

  it('parallel deletes: exactly one 204; parallel delete and update never resurrect', async () => {
    const template = (await admin('sessionTemplates.create', { name: 'Gone', agentIds: [agents.triage.id] }))
      .body;
    const deletes = await Promise.all(
      Array.from({ length: 5 }, () => admin('sessionTemplates.delete', { id: template.id })),
    );
    expect(deletes.map((result) => result.status).sort()).toEqual([204, 404, 404, 404, 404]);

    const other = (await admin('sessionTemplates.create', { name: 'Raced', agentIds: [agents.triage.id] }))
      .body;
    await Promise.all([
      admin('sessionTemplates.update', { id: other.id, name: 'Raced 2' }),
      admin('sessionTemplates.delete', { id: other.id }),
    ]);
    expectError(await admin('sessionTemplates.get', { id: other.id }), 404, 'NOT_FOUND');
  });

  it('parallel agent delete and template create never leave an active template on a deleted agent', async () => {
    for (let round = 0; round < 5; round++) {
      const agent = (await admin('agents.create', { name: `Racer ${round}`, instructions: 'i' })).body;
      const [created, deleted] = await Promise.all([
        admin('sessionTemplates.create', { name: `On racer ${round}`, agentIds: [agent.id] }),
        admin('agents.delete', { id: agent.id }),
      ]);
      expect(created.status === 201).not.toBe(deleted.status === 204);
    }
  });

  it('clone takes no body: none, or {}, is the same; anything else is 400', async () => {
    const template = (await admin('sessionTemplates.create', { name: 'Body', agentIds: [agents.triage.id] }))
      .body;
    const path = `/api/v1/session-templates/${template.id}/clone`;
    const token = tenant.adminToken;
    expect((await http(server, 'POST', path, { token })).status).toBe(201);
    expect((await http(server, 'POST', path, { token, body: {} })).status).toBe(201);
    expect(
      (await http(server, 'POST', path, { token, body: '', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(201);
    expectError(await http(server, 'POST', path, { token, body: { name: 'x' } }), 400, 'BAD_REQUEST');
    expectError(await http(server, 'POST', path, { token, body: { id: template.id } }), 400, 'BAD_REQUEST');
    expectError(
      await http(server, 'PUT', `/api/v1/session-templates/${template.id}`, {
        token,
        body: { id: template.id, name: 'x' },
      }),
      400,
      'BAD_REQUEST',
    );
  });
});
