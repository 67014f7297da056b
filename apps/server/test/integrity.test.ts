import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  expectError,
  http,
  ok,
  startServer,
  type Tenant,
  type TestServer,
  transports,
} from './server';

/**
 * "Every active template satisfies every rule", whatever the spelling of an id, and every agent
 * reference stays valid.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

const upper = (id: string) => id.toUpperCase();

describe.each(transports)(`ids in any letter case over %s (${driverName})`, (transport) => {
  let tenant: Tenant;
  let admin: Call;
  beforeAll(async () => {
    tenant = await createTenant(server);
    admin = caller(server, transport, tenant.adminToken);
  });

  it('an upper-case id names the same resource everywhere, and is answered in lower case', async () => {
    const target = (await admin('agents.create', { name: 'Target', instructions: 'i' })).body;
    const coder = (
      await admin('agents.create', {
        name: 'Coder',
        instructions: 'i',
        modality: 'audio_screenshare',
        panels: ['coding_ide'],
        handoffTargets: [upper(target.id)],
      })
    ).body;
    expect(coder.handoffTargets).toEqual([target.id]);

    const created = await admin('sessionTemplates.create', {
      name: 'Upper',
      agentIds: [upper(coder.id), upper(target.id)],
      initialAgentId: upper(target.id),
      modalityProfile: 'audio_screenshare',
      enabledPanels: ['coding_ide'],
    });
    expect(created.status).toBe(ok(transport, 201));
    expect(created.body).toMatchObject({ agentIds: [coder.id, target.id], initialAgentId: target.id });
    const template = created.body;

    const got = await admin('sessionTemplates.get', { id: upper(template.id) });
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(template.id);
    const updated = await admin('sessionTemplates.update', {
      id: upper(template.id),
      initialAgentId: upper(coder.id),
    });
    expect(updated.body).toMatchObject({ id: template.id, initialAgentId: coder.id, version: 2 });
    const clone = await admin('sessionTemplates.clone', { id: upper(template.id) });
    expect(clone.status).toBe(ok(transport, 201));
    expect(clone.body.agentIds).toEqual([coder.id, target.id]);
    expect((await admin('agents.get', { id: upper(coder.id) })).body.id).toBe(coder.id);
  });

  it('an agent change through an upper-case id is checked against its templates (409, nothing changed)', async () => {
    const coder = (
      await admin('agents.create', {
        name: 'Guarded',
        instructions: 'i',
        modality: 'audio_screenshare',
        panels: ['coding_ide'],
      })
    ).body;
    const template = (
      await admin('sessionTemplates.create', {
        name: 'Guarding',
        agentIds: [coder.id],
        modalityProfile: 'audio_screenshare',
        enabledPanels: ['coding_ide'],
      })
    ).body;
    for (const change of [{ modality: 'audio_camera' }, { panels: [] }]) {
      const error = expectError(
        await admin('agents.update', { id: upper(coder.id), ...change }),
        409,
        'CONFLICT',
      );
      expect(error.details.templateIds).toEqual([template.id]);
    }
    expectError(await admin('agents.delete', { id: upper(coder.id) }), 409, 'CONFLICT');
    expect((await admin('agents.get', { id: coder.id })).body).toMatchObject({
      modality: 'audio_screenshare',
      panels: ['coding_ide'],
      version: 1,
    });
  });

  it('the same id in two spellings is a duplicate', async () => {
    const agent = (await admin('agents.create', { name: 'Twice', instructions: 'i' })).body;
    const error = expectError(
      await admin('sessionTemplates.create', { name: 'Dup', agentIds: [agent.id, upper(agent.id)] }),
      400,
      'BAD_REQUEST',
    );
    expect(error.details.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toContain(
      'agentIds',
    );
    const other = (await admin('agents.create', { name: 'Other', instructions: 'i' })).body;
    expectError(
      await admin('agents.update', { id: agent.id, handoffTargets: [other.id, upper(other.id)] }),
      400,
      'BAD_REQUEST',
    );
  });
});

describe(`an upper-case id in a REST path (${driverName})`, () => {
  it('is the same resource for GET, PUT, clone and DELETE', async () => {
    const tenant = await createTenant(server);
    const token = tenant.adminToken;
    const agent = (
      await http(server, 'POST', '/api/v1/agents', { token, body: { name: 'A', instructions: 'i' } })
    ).body;
    const template = (
      await http(server, 'POST', '/api/v1/session-templates', {
        token,
        body: { name: 'T', agentIds: [upper(agent.id)] },
      })
    ).body;
    const path = `/api/v1/session-templates/${upper(template.id)}`;
    expect((await http(server, 'GET', path, { token })).body.id).toBe(template.id);
    expect((await http(server, 'PUT', path, { token, body: { name: 'T2' } })).body).toMatchObject({
      id: template.id,
      name: 'T2',
    });
    expect((await http(server, 'POST', `${path}/clone`, { token })).status).toBe(201);
    expect((await http(server, 'DELETE', path, { token })).status).toBe(204);
    expectError(
      await http(server, 'DELETE', `/api/v1/session-templates/${template.id}`, { token }),
      404,
      'NOT_FOUND',
    );
  });
});

describe.each(transports)(`agents: version and handoff references over %s (${driverName})`, (transport) => {
  let admin: Call;
  beforeAll(async () => {
    admin = caller(server, transport, (await createTenant(server)).adminToken);
  });

  it('version is 1 on create, +1 on each change; a stale version is 409 with currentVersion', async () => {
    const agent = (await admin('agents.create', { name: 'Versioned', instructions: 'i' })).body;
    expect(agent.version).toBe(1);
    const renamed = await admin('agents.update', { id: agent.id, name: 'Renamed', version: 1 });
    expect(renamed.body).toMatchObject({ name: 'Renamed', version: 2 });
    const moved = await admin('agents.update', { id: agent.id, modality: 'audio_camera' });
    expect(moved.body.version).toBe(3);
    for (const change of [{ name: 'Stale' }, { panels: ['notepad'] }]) {
      const error = expectError(
        await admin('agents.update', { id: agent.id, version: 2, ...change }),
        409,
        'CONFLICT',
      );
      expect(error.details.currentVersion).toBe(3);
    }
    expect((await admin('agents.get', { id: agent.id })).body).toMatchObject({
      name: 'Renamed',
      panels: [],
      version: 3,
    });
    expectError(
      await admin('agents.create', { name: 'V', instructions: 'i', version: 1 }),
      400,
      'BAD_REQUEST',
    );
  });

  it('an agent another active agent hands off to cannot be deleted (409 naming those agents)', async () => {
    const target = (await admin('agents.create', { name: 'Specialist', instructions: 'i' })).body;
    const first = (
      await admin('agents.create', { name: 'Router 1', instructions: 'i', handoffTargets: [target.id] })
    ).body;
    const second = (
      await admin('agents.create', { name: 'Router 2', instructions: 'i', handoffTargets: [target.id] })
    ).body;
    const error = expectError(await admin('agents.delete', { id: target.id }), 409, 'CONFLICT');
    expect(error.details.agentIds).toEqual([first.id, second.id].sort());
    expect(error.details.templateIds).toBeUndefined();

    // Once nobody hands off to it, it can go; the round trip of the others still works.
    await admin('agents.update', { id: first.id, handoffTargets: [] });
    await admin('agents.delete', { id: second.id });
    expect((await admin('agents.delete', { id: target.id })).status).toBe(ok(transport, 204));
    const roundTrip = (await admin('agents.get', { id: first.id })).body;
    const { id, name, instructions, model, voice, handoffTargets, tools, modality, panels } = roundTrip;
    expect(
      (
        await admin('agents.update', {
          id,
          name,
          instructions,
          model,
          voice,
          handoffTargets,
          tools,
          modality,
          panels,
        })
      ).status,
    ).toBe(200);
  });
});
