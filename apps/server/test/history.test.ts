import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Call,
  caller,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  http,
  MISSING_ID,
  ok,
  type Response,
  rowsOf,
  startServer,
  type Tenant,
  type TestServer,
  transports,
} from './server';

/**
 * Revisions, restore and the audit log (docs/api.md "Revisions", "Audit log"): every change writes
 * exactly one revision and one audit event in its transaction, a failed write leaves neither,
 * restore obeys every rule, and history keeps to its organization and roles.
 */
let server: TestServer;
let tenant: Tenant;
beforeAll(async () => {
  server = await startServer();
  tenant = await createTenant(server, 'History');
});
afterAll(() => server?.close());

/** How many revisions and audit events the organization has, counted in the database. */
async function counts(organizationId = tenant.organizationId) {
  const [row] = rowsOf<{ revisions: number; events: number }>(
    await server.database.db.execute(sql`select
      (select count(*)::int from revisions where organization_id = ${organizationId}) as revisions,
      (select count(*)::int from audit_events where organization_id = ${organizationId}) as events`),
  );
  return row!;
}

async function allRevisions(call: Call, procedure: string, id: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: Response = await call(procedure, { id, limit: 2, ...(cursor ? { cursor } : {}) });
    expectStatus(page, 200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

describe.each(transports)(`history over %s (${driverName})`, (transport) => {
  let admin: Call;
  let member: Call;
  beforeAll(() => {
    admin = caller(server, transport, tenant.adminToken);
    member = caller(server, transport, tenant.memberToken);
  });

  async function agent(fields: Record<string, unknown> = {}) {
    return expectStatus(
      await admin('agents.create', { name: 'Agent', instructions: 'i', ...fields }),
      ok(transport, 201),
    );
  }

  it('every template action writes exactly one revision and one audit event, with the changed fields', async () => {
    const greeter = await agent({ name: 'Greeter' });
    const coder = await agent({ name: 'Coder', modality: 'audio_screenshare', panels: ['coding_ide'] });
    const before = await counts();
    const created = expectStatus(
      await admin('sessionTemplates.create', { name: 'Interview', agentIds: [greeter.id] }),
      ok(transport, 201),
    );
    const updated = expectStatus(
      await admin('sessionTemplates.update', {
        id: created.id,
        agentIds: [greeter.id, coder.id],
        modalityProfile: 'audio_screenshare',
        enabledPanels: ['coding_ide'],
        name: 'Interview v2',
      }),
      200,
    );
    const renamed = expectStatus(
      await admin('sessionTemplates.update', { id: created.id, name: 'Final' }),
      200,
    );
    const copy = expectStatus(await admin('sessionTemplates.clone', { id: created.id }), ok(transport, 201));
    expectStatus(await admin('sessionTemplates.delete', { id: created.id }), ok(transport, 204));
    const restored = expectStatus(
      await admin('sessionTemplates.restore', { id: created.id, toVersion: 1 }),
      200,
    );
    expect(await counts()).toEqual({ revisions: before.revisions + 6, events: before.events + 6 });

    expect(restored).toMatchObject({ name: 'Interview', agentIds: [greeter.id], isActive: true, version: 5 });
    expect(updated.version).toBe(2);
    expect(renamed.version).toBe(3);

    const revisions = await allRevisions(member, 'sessionTemplates.revisions', created.id);
    expect(revisions.map((r) => [r.version, r.action])).toEqual([
      [5, 'restored'],
      [4, 'deleted'],
      [3, 'updated'],
      [2, 'updated'],
      [1, 'created'],
    ]);
    const [v5, v4, v3, v2, v1] = revisions;
    expect(v1.changes).toEqual([]);
    expect(v1.snapshot).toEqual(created);
    expect(v1.agentVersions).toEqual({ [greeter.id]: 1 });
    expect(v2.changes).toEqual([
      { field: 'name', before: 'Interview', after: 'Interview v2' },
      { field: 'agentIds', before: [greeter.id], after: [greeter.id, coder.id] },
      { field: 'modalityProfile', before: 'audio_only', after: 'audio_screenshare' },
      { field: 'enabledPanels', before: [], after: ['coding_ide'] },
    ]);
    expect(v2.agentVersions).toEqual({ [greeter.id]: 1, [coder.id]: 1 });
    expect(v3.changes).toEqual([{ field: 'name', before: 'Interview v2', after: 'Final' }]);
    expect(v3.snapshot).toEqual(renamed);
    expect(v4.changes).toEqual([]);
    expect(v4.snapshot.isActive).toBe(false);
    expect(v5.changes).toEqual([
      { field: 'name', before: 'Final', after: 'Interview' },
      { field: 'agentIds', before: [greeter.id, coder.id], after: [greeter.id] },
      { field: 'modalityProfile', before: 'audio_screenshare', after: 'audio_only' },
      { field: 'enabledPanels', before: ['coding_ide'], after: [] },
    ]);
    expect(v5.snapshot).toEqual(restored);
    for (const revision of revisions) {
      expect(revision.actor).toEqual({ type: 'user', id: tenant.adminId, name: expect.any(String) });
      expect(Date.parse(revision.at)).not.toBeNaN();
    }

    const one = expectStatus(await member('sessionTemplates.revision', { id: created.id, version: 2 }), 200);
    expect(one).toEqual(v2);
    const cloneHistory = await allRevisions(admin, 'sessionTemplates.revisions', copy.id);
    expect(cloneHistory.map((r) => [r.version, r.action, r.changes])).toEqual([[1, 'cloned', []]]);

    const events = expectStatus(await admin('audit.list', { resourceId: created.id, limit: 10 }), 200).items;
    expect(events.map((e: any) => [e.action, e.version, e.resource.name])).toEqual([
      ['sessionTemplate.restored', 5, 'Interview'],
      ['sessionTemplate.deleted', 4, 'Final'],
      ['sessionTemplate.updated', 3, 'Final'],
      ['sessionTemplate.updated', 2, 'Interview v2'],
      ['sessionTemplate.created', 1, 'Interview'],
    ]);
    for (const event of events) {
      expect(event.actor.id).toBe(tenant.adminId);
      expect(event.resource).toMatchObject({ type: 'sessionTemplate', id: created.id });
      expect(event.requestId).toMatch(/\S/);
    }
  });

  it('every agent action writes exactly one revision and one audit event', async () => {
    const before = await counts();
    const created = await agent({ name: 'Voice', voice: 'alloy' });
    const updated = expectStatus(
      await admin('agents.update', { id: created.id, voice: 'verse', tools: ['search'] }),
      200,
    );
    expectStatus(await admin('agents.delete', { id: created.id }), ok(transport, 204));
    const restored = expectStatus(await admin('agents.restore', { id: created.id, toVersion: 1 }), 200);
    expect(await counts()).toEqual({ revisions: before.revisions + 4, events: before.events + 4 });
    expect(restored).toMatchObject({ voice: 'alloy', tools: [], isActive: true, version: 4 });
    expect(expectStatus(await member('agents.get', { id: created.id }), 200)).toEqual(restored);

    const revisions = await allRevisions(member, 'agents.revisions', created.id);
    expect(revisions.map((r) => [r.version, r.action, r.changes])).toEqual([
      [
        4,
        'restored',
        [
          { field: 'voice', before: 'verse', after: 'alloy' },
          { field: 'tools', before: ['search'], after: [] },
        ],
      ],
      [3, 'deleted', []],
      [
        2,
        'updated',
        [
          { field: 'voice', before: 'alloy', after: 'verse' },
          { field: 'tools', before: [], after: ['search'] },
        ],
      ],
      [1, 'created', []],
    ]);
    expect(revisions[2].snapshot).toEqual(updated);
    expect(revisions[0]).not.toHaveProperty('agentVersions');
  });

  it('a template revision records the version of each of its agents at that moment', async () => {
    const a = await agent();
    const template = expectStatus(
      await admin('sessionTemplates.create', { name: 'Pinned', agentIds: [a.id] }),
      ok(transport, 201),
    );
    expectStatus(await admin('agents.update', { id: a.id, instructions: 'new' }), 200);
    expectStatus(await admin('agents.update', { id: a.id, instructions: 'newer' }), 200);
    expectStatus(await admin('sessionTemplates.update', { id: template.id, description: 'd' }), 200);
    const [latest, first] = await allRevisions(admin, 'sessionTemplates.revisions', template.id);
    expect(first.agentVersions).toEqual({ [a.id]: 1 });
    expect(latest.agentVersions).toEqual({ [a.id]: 3 });
  });

  it('a write that fails (validation, stale version, conflict, 404) leaves no revision and no event', async () => {
    const a = await agent({ modality: 'audio_camera' });
    const template = expectStatus(
      await admin('sessionTemplates.create', {
        name: 'T',
        agentIds: [a.id],
        modalityProfile: 'audio_camera',
      }),
      ok(transport, 201),
    );
    const before = await counts();
    expectError(
      await admin('sessionTemplates.create', { name: 'Bad', agentIds: [MISSING_ID] }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await admin('sessionTemplates.update', { id: template.id, modalityProfile: 'audio_only' }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await admin('sessionTemplates.update', { id: template.id, name: 'x', version: 9 }),
      409,
      'CONFLICT',
    );
    expectError(await admin('agents.update', { id: a.id, modality: 'audio_screenshare' }), 409, 'CONFLICT');
    expectError(await admin('agents.delete', { id: a.id }), 409, 'CONFLICT');
    expect(
      expectError(
        await admin('sessionTemplates.restore', { id: template.id, toVersion: 7 }),
        404,
        'NOT_FOUND',
      ).message,
    ).toMatch(/has no revision 7/);
    expect(
      expectError(await admin('agents.restore', { id: MISSING_ID, toVersion: 1 }), 404, 'NOT_FOUND').message,
    ).toMatch(/not found/);
    expectError(await admin('sessionTemplates.delete', { id: MISSING_ID }), 404, 'NOT_FOUND');
    expectError(await member('sessionTemplates.update', { id: template.id, name: 'x' }), 403, 'FORBIDDEN');
    expect(await counts()).toEqual(before);
  });

  it('restore is checked like an update on the result', async () => {
    const camera = await agent({ modality: 'audio_camera', panels: ['whiteboard'] });
    const plain = await agent();
    const template = expectStatus(
      await admin('sessionTemplates.create', {
        name: 'Board',
        agentIds: [camera.id],
        modalityProfile: 'audio_camera',
        enabledPanels: ['whiteboard'],
      }),
      ok(transport, 201),
    );
    expectStatus(
      await admin('sessionTemplates.update', {
        id: template.id,
        agentIds: [plain.id],
        modalityProfile: 'audio_only',
        enabledPanels: [],
      }),
      200,
    );
    // The camera agent has since lost its camera and its whiteboard: version 1 no longer fits.
    expectStatus(await admin('agents.update', { id: camera.id, modality: 'audio_only', panels: [] }), 200);
    const refused = expectError(
      await admin('sessionTemplates.restore', { id: template.id, toVersion: 1 }),
      400,
      'BAD_REQUEST',
    );
    expect(refused.details.unsupportedPanels).toEqual(['whiteboard']);
    // Deleting the agent makes the old set name a missing agent.
    expectStatus(await admin('agents.delete', { id: camera.id }), ok(transport, 204));
    const missing = expectError(
      await admin('sessionTemplates.restore', { id: template.id, toVersion: 1 }),
      400,
      'BAD_REQUEST',
    );
    expect(missing.details.invalidAgentIds).toEqual([camera.id]);

    // A stale `version` is 409 with the current one, and nothing changes.
    const stale = expectError(
      await admin('sessionTemplates.restore', { id: template.id, toVersion: 2, version: 1 }),
      409,
      'CONFLICT',
    );
    expect(stale.details.currentVersion).toBe(2);
    const current = expectStatus(
      await admin('sessionTemplates.restore', { id: template.id, toVersion: 2, version: 2 }),
      200,
    );
    expect(current.version).toBe(3);

    // An agent restore that would break an active template is 409 naming it.
    const screen = await agent({ modality: 'audio_screenshare' });
    expectStatus(await admin('agents.update', { id: screen.id, modality: 'audio_only' }), 200);
    const uses = expectStatus(
      await admin('sessionTemplates.create', { name: 'Uses', agentIds: [screen.id] }),
      ok(transport, 201),
    );
    const conflict = expectError(
      await admin('agents.restore', { id: screen.id, toVersion: 1 }),
      409,
      'CONFLICT',
    );
    expect(conflict.details.templateIds).toEqual([uses.id]);
    // An agent restore whose old handoff target is gone is 400 naming it.
    const target = await agent();
    const caller_ = await agent({ handoffTargets: [target.id] });
    expectStatus(await admin('agents.update', { id: caller_.id, handoffTargets: [] }), 200);
    expectStatus(await admin('agents.delete', { id: target.id }), ok(transport, 204));
    const gone = expectError(
      await admin('agents.restore', { id: caller_.id, toVersion: 1 }),
      400,
      'BAD_REQUEST',
    );
    expect(gone.details.invalidAgentIds).toEqual([target.id]);
    // A restored agent is usable again: a deleted agent comes back.
    expectStatus(await admin('agents.restore', { id: target.id, toVersion: 1 }), 200);
    expectStatus(await admin('agents.restore', { id: caller_.id, toVersion: 1 }), 200);
  });

  it('revisions of a deleted template stay readable; a missing or foreign one is 404; bad input is 400', async () => {
    const a = await agent();
    const template = expectStatus(
      await admin('sessionTemplates.create', { name: 'Gone', agentIds: [a.id] }),
      ok(transport, 201),
    );
    expectStatus(await admin('sessionTemplates.delete', { id: template.id }), ok(transport, 204));
    expectError(await member('sessionTemplates.get', { id: template.id }), 404, 'NOT_FOUND');
    expect((await allRevisions(member, 'sessionTemplates.revisions', template.id)).length).toBe(2);
    expectError(await member('sessionTemplates.revisions', { id: MISSING_ID }), 404, 'NOT_FOUND');
    expectError(await member('sessionTemplates.revision', { id: template.id, version: 3 }), 404, 'NOT_FOUND');
    expectError(await member('agents.revisions', { id: template.id }), 404, 'NOT_FOUND');
    expectError(
      await member('sessionTemplates.revisions', { id: template.id, cursor: 'bm90LWEtY3Vyc29y' }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await member('sessionTemplates.revision', { id: template.id, version: 0 }),
      400,
      'BAD_REQUEST',
    );

    const other = await createTenant(server, 'Stranger');
    const stranger = caller(server, transport, other.adminToken);
    expectError(await stranger('sessionTemplates.revisions', { id: template.id }), 404, 'NOT_FOUND');
    expectError(
      await stranger('sessionTemplates.revision', { id: template.id, version: 1 }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await stranger('sessionTemplates.restore', { id: template.id, toVersion: 1 }),
      404,
      'NOT_FOUND',
    );
    expectError(await stranger('agents.revisions', { id: a.id }), 404, 'NOT_FOUND');
    const theirLog = expectStatus(await stranger('audit.list', { limit: 100 }), 200).items;
    expect(theirLog.map((event: any) => event.actor.id)).toEqual([other.adminId, other.adminId]);
    expect(theirLog.every((event: any) => event.resource.type === 'member')).toBe(true);
    expect(expectStatus(await stranger('audit.list', { resourceId: template.id }), 200).items).toEqual([]);
  });
});

describe(`deleted entities can be found to restore (${driverName})`, () => {
  it("lists take status 'deleted' (newest first, searchable, paged); the default stays the active ones", async () => {
    const org = await createTenant(server, 'Deleted lists');
    for (const transport of transports) {
      const admin = caller(server, transport, org.adminToken);
      const a = expectStatus(
        await admin('agents.create', { name: `Kept ${transport}`, instructions: 'i' }),
        ok(transport, 201),
      );
      const gone = expectStatus(
        await admin('agents.create', { name: `Gone ${transport}`, instructions: 'i' }),
        ok(transport, 201),
      );
      expectStatus(await admin('agents.delete', { id: gone.id }), ok(transport, 204));
      const t1 = expectStatus(
        await admin('sessionTemplates.create', { name: `Old ${transport}`, agentIds: [a.id] }),
        ok(transport, 201),
      );
      const t2 = expectStatus(
        await admin('sessionTemplates.create', { name: `Older ${transport}`, agentIds: [a.id] }),
        ok(transport, 201),
      );
      expectStatus(
        await admin('sessionTemplates.create', { name: `Live ${transport}`, agentIds: [a.id] }),
        ok(transport, 201),
      );
      for (const t of [t1, t2])
        expectStatus(await admin('sessionTemplates.delete', { id: t.id }), ok(transport, 204));

      const names = async (procedure: string, query: Record<string, unknown>) =>
        expectStatus(await admin(procedure, query), 200).items.map((item: any) => item.name);
      expect(await names('agents.list', { status: 'deleted', search: transport })).toEqual([
        `Gone ${transport}`,
      ]);
      expect(await names('agents.list', { search: transport })).toEqual([`Kept ${transport}`]);
      expect(await names('sessionTemplates.list', { status: 'deleted', search: transport })).toEqual([
        `Older ${transport}`,
        `Old ${transport}`,
      ]);
      expect(await names('sessionTemplates.list', { status: 'active', search: transport })).toEqual([
        `Live ${transport}`,
      ]);
      const first = expectStatus(
        await admin('sessionTemplates.list', { status: 'deleted', search: transport, limit: 1 }),
        200,
      );
      const second = expectStatus(
        await admin('sessionTemplates.list', {
          status: 'deleted',
          search: transport,
          limit: 1,
          cursor: first.nextCursor,
        }),
        200,
      );
      expect(second.items.map((item: any) => item.name)).toEqual([`Old ${transport}`]);
      expectError(await admin('sessionTemplates.list', { status: 'gone' }), 400, 'BAD_REQUEST');
    }
  });
});

describe(`the audit log (${driverName})`, () => {
  it('is for admins only, filters by resource type, resource, actor and action, and pages newest first', async () => {
    const org = await createTenant(server, 'Audited');
    const admin = caller(server, 'rest', org.adminToken);
    expectError(await caller(server, 'rest', org.memberToken)('audit.list', {}), 403, 'FORBIDDEN');
    expectError(await caller(server, 'rest')('audit.list', {}), 401, 'UNAUTHORIZED');

    const a = expectStatus(await admin('agents.create', { name: 'Audited agent', instructions: 'i' }), 201);
    expectStatus(await admin('agents.update', { id: a.id, name: 'Renamed agent' }), 200);
    expectStatus(await admin('organization.updateMember', { id: org.memberId, role: 'admin' }), 200);

    const all = expectStatus(await admin('audit.list', {}), 200).items;
    expect(all.map((event: any) => event.action)).toEqual([
      'member.updated',
      'agent.updated',
      'agent.created',
      'member.added',
      'member.added',
    ]);
    expect(all[0]).toMatchObject({ resource: { type: 'member', id: org.memberId }, version: null });
    expect(all[1]).toMatchObject({
      resource: { type: 'agent', id: a.id, name: 'Renamed agent' },
      version: 2,
    });
    expect(all[2].resource.name).toBe('Audited agent');
    // The signup's event names the new admin as its own actor.
    expect(all[4]).toMatchObject({ actor: { type: 'user', id: org.adminId }, resource: { id: org.adminId } });

    const filtered = async (query: Record<string, unknown>) =>
      expectStatus(await admin('audit.list', query), 200).items.map((event: any) => event.action);
    expect(await filtered({ resourceType: 'agent' })).toEqual(['agent.updated', 'agent.created']);
    expect(await filtered({ resourceId: a.id.toUpperCase() })).toEqual(['agent.updated', 'agent.created']);
    expect(await filtered({ action: 'member.added' })).toEqual(['member.added', 'member.added']);
    expect(await filtered({ actorId: org.memberId })).toEqual([]);
    expect(await filtered({ actorId: org.adminId, resourceType: 'member' })).toEqual([
      'member.updated',
      'member.added',
      'member.added',
    ]);
    expectError(await admin('audit.list', { action: 'agent.renamed' }), 400, 'BAD_REQUEST');
    expectError(await admin('audit.list', { resourceType: 'robot' }), 400, 'BAD_REQUEST');
    expectError(await admin('audit.list', { cursor: 'x' }), 400, 'BAD_REQUEST');

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await admin('audit.list', { limit: 2, ...(cursor ? { cursor } : {}) });
      paged.push(...page.body.items.map((event: any) => event.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((event: any) => event.id));
  });

  it("records the request's x-request-id", async () => {
    const org = await createTenant(server, 'Traced');
    const response = await http(server, 'POST', '/api/v1/agents', {
      token: org.adminToken,
      body: { name: 'Traced', instructions: 'i' },
      headers: { 'x-request-id': 'trace-0123456789' },
    });
    expect(response.status).toBe(201);
    const [event] = expectStatus(
      await caller(server, 'rest', org.adminToken)('audit.list', { limit: 1 }),
      200,
    ).items;
    expect(event.requestId).toBe('trace-0123456789');
  });

  it('is append-only: the database refuses to edit or delete an event or a revision', async () => {
    for (const statement of [
      sql`update audit_events set actor_name = 'someone else'`,
      sql`delete from audit_events`,
      sql`update revisions set action = 'created'`,
      sql`delete from revisions`,
    ]) {
      const error = await server.database.db.execute(statement).then(
        () => null,
        (failure: Error) => failure,
      );
      expect(String((error?.cause as Error | undefined)?.message ?? error)).toMatch(/append-only/);
    }
  });

  it('a fault after the entity is written (the audit insert fails) leaves neither the change nor its revision', async () => {
    const org = await createTenant(server, 'Faulty');
    const admin = caller(server, 'rest', org.adminToken);
    const a = expectStatus(await admin('agents.create', { name: 'Stable', instructions: 'i' }), 201);
    const template = expectStatus(
      await admin('sessionTemplates.create', { name: 'Stable', agentIds: [a.id] }),
      201,
    );
    const before = await counts(org.organizationId);
    const db = server.database.db;
    await db.execute(sql`create function fail_audit() returns trigger language plpgsql as $$
      begin raise exception 'injected fault'; end $$`);
    await db.execute(
      sql.raw(`create trigger fail_audit before insert on audit_events for each row
      when (new.organization_id = '${org.organizationId}') execute function fail_audit()`),
    );
    try {
      expectError(
        await admin('sessionTemplates.update', { id: template.id, name: 'Changed' }),
        500,
        'INTERNAL_SERVER_ERROR',
      );
      expectError(await admin('agents.update', { id: a.id, name: 'Changed' }), 500, 'INTERNAL_SERVER_ERROR');
      expectError(await admin('sessionTemplates.delete', { id: template.id }), 500, 'INTERNAL_SERVER_ERROR');
      expectError(
        await admin('agents.create', { name: 'New', instructions: 'i' }),
        500,
        'INTERNAL_SERVER_ERROR',
      );
    } finally {
      await db.execute(sql`drop trigger fail_audit on audit_events`);
      await db.execute(sql`drop function fail_audit()`);
    }
    expect(await counts(org.organizationId)).toEqual(before);
    expect(expectStatus(await admin('sessionTemplates.get', { id: template.id }), 200)).toEqual(template);
    expect(expectStatus(await admin('agents.get', { id: a.id }), 200)).toEqual(a);
    expect(expectStatus(await admin('agents.list', {}), 200).items).toHaveLength(1);
  });

  it('simultaneous updates and restores of one template all succeed, each with its own revision, never 5xx', async () => {
    const org = await createTenant(server, 'Busy');
    const admin = caller(server, 'rest', org.adminToken);
    const a = expectStatus(await admin('agents.create', { name: 'A', instructions: 'i' }), 201);
    const b = expectStatus(await admin('agents.create', { name: 'B', instructions: 'i' }), 201);
    const template = expectStatus(
      await admin('sessionTemplates.create', { name: 'Busy', agentIds: [a.id] }),
      201,
    );
    let expected = 1;
    for (let round = 0; round < 10; round++) {
      const responses = await Promise.all([
        admin('sessionTemplates.update', { id: template.id, name: `Round ${round}` }),
        admin('sessionTemplates.update', { id: template.id, agentIds: [b.id, a.id] }),
        admin('sessionTemplates.restore', { id: template.id, toVersion: 1 }),
        admin('sessionTemplates.restore', { id: template.id, toVersion: 1 }),
      ]);
      for (const response of responses) expectStatus(response, 200);
      expected += responses.length;
    }
    const revisions = await allRevisions(admin, 'sessionTemplates.revisions', template.id);
    expect(revisions.map((revision) => revision.version)).toEqual(
      Array.from({ length: expected }, (_, index) => expected - index),
    );
    const current = expectStatus(await admin('sessionTemplates.get', { id: template.id }), 200);
    expect(current.version).toBe(expected);
    expect(revisions[0].snapshot).toEqual(current);
    const events = expectStatus(
      await admin('audit.list', { resourceId: template.id, limit: 100 }),
      200,
    ).items;
    expect(events).toHaveLength(expected);
  });
});
