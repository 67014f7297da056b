import { Agent } from '@switchboard/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  expectError,
  foreignAgent,
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

describe.each(transports)(`agents over %s (${driverName})`, (transport) => {
  let tenant: Tenant;
  let admin: Call;
  let member: Call;
  beforeAll(async () => {
    tenant = await createTenant(server);
    admin = caller(server, transport, tenant.adminToken);
    member = caller(server, transport, tenant.memberToken);
  });

  it('creates an agent with defaults and reads it back', async () => {
    const created = await admin('agents.create', { name: '  Triage  ', instructions: 'Greet the user' });
    expect(created.status).toBe(ok(transport, 201));
    expect(created.body).toMatchObject({
      name: 'Triage',
      instructions: 'Greet the user',
      model: 'gpt-4.1-mini',
      voice: null,
      handoffTargets: [],
      tools: [],
      modality: 'audio_only',
      panels: [],
      isActive: true,
      organizationId: tenant.organizationId,
    });
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);
    const got = await member('agents.get', { id: created.body.id });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    // Exactly the contract's fields: nothing the database keeps besides leaks into an answer.
    expect(Object.keys(got.body).sort()).toEqual(Object.keys(Agent.shape).sort());
  });

  it('validates input: name, instructions, modality, panels, unknown and server-managed fields', async () => {
    const base = { name: 'A', instructions: 'i' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, name: '' }, 'name'],
      [{ ...base, name: '   ' }, 'name'],
      [{ ...base, name: 'x'.repeat(256) }, 'name'],
      [{ ...base, instructions: '' }, 'instructions'],
      [{ ...base, modality: 'video' }, 'modality'],
      [{ ...base, panels: ['chat'] }, 'panels.0'],
      [{ ...base, panels: ['notepad', 'notepad'] }, 'panels'],
      [{ ...base, voice: 42 }, 'voice'],
      [{ ...base, id: MISSING_ID }, 'id'],
      [{ ...base, isActive: false }, 'isActive'],
      [{ ...base, organizationId: MISSING_ID }, 'organizationId'],
      [{ ...base, createdAt: '2020-01-01T00:00:00Z' }, 'createdAt'],
    ];
    for (const [input, path] of cases) {
      const error = expectError(await admin('agents.create', input), 400, 'BAD_REQUEST');
      expect(error.details.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toContain(path);
    }
  });

  it('handoff targets must be other active agents of the organization (400 naming every invalid id)', async () => {
    const target = (await admin('agents.create', { name: 'Target', instructions: 'i' })).body;
    const foreign = await foreignAgent(server, transport);
    const error = expectError(
      await admin('agents.create', {
        name: 'A',
        instructions: 'i',
        handoffTargets: [target.id, MISSING_ID, foreign.id],
      }),
      400,
      'BAD_REQUEST',
    );
    expect(error.details.invalidAgentIds).toEqual([MISSING_ID, foreign.id]);

    const withTarget = await admin('agents.create', {
      name: 'A',
      instructions: 'i',
      handoffTargets: [target.id],
    });
    expect(withTarget.body.handoffTargets).toEqual([target.id]);
    const self = expectError(
      await admin('agents.update', { id: withTarget.body.id, handoffTargets: [withTarget.body.id] }),
      400,
      'BAD_REQUEST',
    );
    expect(self.details.invalidAgentIds).toEqual([withTarget.body.id]);
  });

  it('updates partially; an explicit null clears voice; 404 for missing ids', async () => {
    const created = (
      await admin('agents.create', { name: 'V', instructions: 'i', voice: 'alloy', tools: ['search'] })
    ).body;
    const renamed = await admin('agents.update', { id: created.id, name: 'V2' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'V2', voice: 'alloy', tools: ['search'], instructions: 'i' });
    expect(renamed.body.updatedAt >= created.updatedAt).toBe(true);
    const cleared = await admin('agents.update', { id: created.id, voice: null });
    expect(cleared.body.voice).toBeNull();
    expect(cleared.body.name).toBe('V2');
    expectError(await admin('agents.update', { id: created.id, name: null }), 400, 'BAD_REQUEST');
    expectError(await admin('agents.update', { id: MISSING_ID, name: 'x' }), 404, 'NOT_FOUND');
  });

  it('members read but may not write (403); anonymous callers get 401', async () => {
    const created = (await admin('agents.create', { name: 'R', instructions: 'i' })).body;
    expectError(await member('agents.create', { name: 'X', instructions: 'i' }), 403, 'FORBIDDEN');
    expectError(await member('agents.update', { id: created.id, name: 'X' }), 403, 'FORBIDDEN');
    expectError(await member('agents.delete', { id: created.id }), 403, 'FORBIDDEN');
    expect((await member('agents.list', {})).status).toBe(200);
    const anonymous = caller(server, transport);
    expectError(await anonymous('agents.list', {}), 401, 'UNAUTHORIZED');
    expectError(await anonymous('agents.get', { id: created.id }), 401, 'UNAUTHORIZED');
  });

  it("another organization's agent is 404 on get, update and delete", async () => {
    const created = (await admin('agents.create', { name: 'Mine', instructions: 'i' })).body;
    const other = caller(server, transport, (await createTenant(server)).adminToken);
    expectError(await other('agents.get', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await other('agents.update', { id: created.id, name: 'stolen' }), 404, 'NOT_FOUND');
    expectError(await other('agents.delete', { id: created.id }), 404, 'NOT_FOUND');
    expect((await admin('agents.get', { id: created.id })).body.name).toBe('Mine');
  });

  it('soft-deletes: 204, then 404 on get, update and a second delete; gone from the list', async () => {
    const created = (await admin('agents.create', { name: 'Gone', instructions: 'i' })).body;
    expect((await admin('agents.delete', { id: created.id })).status).toBe(ok(transport, 204));
    expectError(await admin('agents.get', { id: created.id }), 404, 'NOT_FOUND');
    expectError(await admin('agents.update', { id: created.id, name: 'x' }), 404, 'NOT_FOUND');
    expectError(await admin('agents.delete', { id: created.id }), 404, 'NOT_FOUND');
    const list = await admin('agents.list', { search: 'Gone' });
    expect(list.body.items).toEqual([]);
  });
});

describe(`agent lists (${driverName})`, () => {
  it('pages newest first, each agent exactly once, with search that is literal', async () => {
    const tenant = await createTenant(server);
    const admin = caller(server, 'rest', tenant.adminToken);
    const names = ['100% real', 'under_score', 'back\\slash', 'Plain', 'plain two', 'other'];
    const ids: string[] = [];
    for (const name of names) ids.push((await admin('agents.create', { name, instructions: 'i' })).body.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin('agents.list', { limit: 4, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((agent: { id: string }) => agent.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const search = async (text: string) =>
      (await admin('agents.list', { search: text })).body.items.map((agent: { name: string }) => agent.name);
    expect(await search('PLAIN')).toEqual(['plain two', 'Plain']);
    expect(await search('%')).toEqual(['100% real']);
    expect(await search('_')).toEqual(['under_score']);
    expect(await search('\\')).toEqual(['back\\slash']);
    expect(await search('nothing')).toEqual([]);

    for (const query of [
      { limit: 0 },
      { limit: 101 },
      { limit: 1.5 },
      { cursor: 'garbage' },
      { limit: 'ten' },
    ]) {
      expectError(await admin('agents.list', query), 400, 'BAD_REQUEST');
    }
  });
});
