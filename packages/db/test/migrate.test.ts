import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  type Db,
  listMigrations,
  MIGRATION_LOCK_KEY,
  MigrationLockTimeoutError,
  migrate,
  rollback,
} from '../src';
import { createTestDatabase, type TestDatabase } from '../src/testing';

function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

async function tables(db: Db): Promise<string[]> {
  const result = await db.execute<{ name: string }>(
    sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_name <> 'switchboard_migrations' order by 1`,
  );
  return rowsOf<{ name: string }>(result).map((row) => row.name);
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrated: false });
});
afterAll(() => database?.close());

describe(`migrations on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('applies every migration, is idempotent, and reverses each one (up, down, up)', async () => {
    const all = listMigrations();
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(await migrate(database.db)).toEqual(all);
    expect(await migrate(database.db)).toEqual([]);
    const every = [
      'agents',
      'api_keys',
      'audit_events',
      'auth_rate_limits',
      'deployments',
      'environments',
      'event_sequences',
      'event_streams',
      'idempotency_keys',
      'organizations',
      'outcome_minutes',
      'release_records',
      'revisions',
      'session_templates',
      'users',
      'webhook_deliveries',
      'webhooks',
    ];
    expect(await tables(database.db)).toEqual(every);

    for (const name of [...all].reverse()) {
      expect(await rollback(database.db)).toBe(name);
    }
    expect(await tables(database.db)).toEqual([]);
    expect(await rollback(database.db)).toBeNull();

    expect(await migrate(database.db)).toEqual(all);
    expect(await tables(database.db)).toEqual(every);
  });

  it('applies each migration once when several runners start at once', async () => {
    await rollback(database.db);
    const results = await Promise.all([migrate(database.db), migrate(database.db), migrate(database.db)]);
    expect(results.flat()).toEqual([listMigrations().at(-1)]);
  });

  it('refuses values outside the enums and non-positive durations (CHECK constraints)', async () => {
    const [org] = rowsOf<{ id: string }>(
      await database.db.execute(sql`insert into organizations (name) values ('o') returning id`),
    );
    const bad = [
      sql`insert into users (organization_id, email, password_hash, role) values (${org!.id}, 'a@b.c', 'x', 'owner')`,
      sql`insert into agents (organization_id, name, instructions, modality) values (${org!.id}, 'a', 'i', 'video')`,
      sql`insert into agents (organization_id, name, instructions, panels) values (${org!.id}, 'a', 'i', '{chat}')`,
      sql`insert into session_templates (organization_id, name, agent_ids, idle_timeout_seconds) values (${org!.id}, 't', array[gen_random_uuid()], 0)`,
      sql`insert into session_templates (organization_id, name, agent_ids, max_duration_seconds) values (${org!.id}, 't', array[gen_random_uuid()], -1)`,
      sql`insert into session_templates (organization_id, name, agent_ids, modality_profile) values (${org!.id}, 't', array[gen_random_uuid()], 'video')`,
      sql`insert into session_templates (organization_id, name, agent_ids, enabled_panels) values (${org!.id}, 't', array[gen_random_uuid()], '{chat}')`,
      sql`insert into session_templates (organization_id, name, agent_ids) values (${org!.id}, 't', '{}')`,
    ];
    for (const statement of bad) {
      await expect(database.db.execute(statement)).rejects.toThrow();
    }
    await database.db.execute(
      sql`insert into users (organization_id, email, password_hash, role) values (${org!.id}, 'Case@Example.com', 'x', 'member')`,
    );
    await expect(
      database.db.execute(
        sql`insert into users (organization_id, email, password_hash, role) values (${org!.id}, 'case@example.COM', 'x', 'member')`,
      ),
    ).rejects.toThrow();
  });
});

describe(`history for what existed before it was kept (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('gives every existing agent and template a revision at its version: created, by system, in the API shape', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      // Back to the moment before history was kept.
      await migrate(fresh.db);
      let reversed: string | null;
      do reversed = await rollback(fresh.db);
      while (reversed && !reversed.includes('revisions_and_audit_events'));
      const [row] = rowsOf<{ org: string; agent: string; template: string }>(
        await fresh.db.execute(sql`with org as (insert into organizations (name) values ('o') returning id),
          agent as (insert into agents (organization_id, name, instructions, version, tools, created_at, updated_at)
            select id, 'Greeter', 'Say hi', 3, '{search}', '2026-01-02T03:04:05.678Z', '2026-02-03T04:05:06.789Z' from org returning id, organization_id),
          template as (insert into session_templates (organization_id, name, agent_ids, version)
            select organization_id, 'Call', array[id], 2 from agent returning id)
          select (select id from org) as org, (select id from agent) as agent, (select id from template) as template`),
      );
      await migrate(fresh.db);
      const revisions = rowsOf<Record<string, any>>(
        await fresh.db.execute(
          sql`select resource_type, resource_id, version, action, actor_type, actor_id, actor_name, changes, snapshot, agent_versions from revisions order by resource_type`,
        ),
      );
      expect(revisions).toHaveLength(2);
      const [agentRevision, templateRevision] = revisions;
      expect(agentRevision).toMatchObject({
        resource_type: 'agent',
        resource_id: row!.agent,
        version: 3,
        action: 'created',
        actor_type: 'system',
        actor_id: null,
        actor_name: 'system',
        changes: [],
        agent_versions: null,
      });
      expect(agentRevision!.snapshot).toEqual({
        id: row!.agent,
        organizationId: row!.org,
        name: 'Greeter',
        instructions: 'Say hi',
        model: 'gpt-4.1-mini',
        voice: null,
        handoffTargets: [],
        tools: ['search'],
        modality: 'audio_only',
        panels: [],
        isActive: true,
        version: 3,
        createdAt: '2026-01-02T03:04:05.678Z',
        updatedAt: '2026-02-03T04:05:06.789Z',
      });
      expect(templateRevision).toMatchObject({
        resource_type: 'sessionTemplate',
        resource_id: row!.template,
        version: 2,
        agent_versions: { [row!.agent]: 3 },
      });
      expect(templateRevision!.snapshot).toMatchObject({
        id: row!.template,
        agentIds: [row!.agent],
        initialAgentId: null,
        enabledPanels: [],
        maxDurationSeconds: null,
        idleTimeoutSeconds: 300,
      });
    } finally {
      await fresh.close();
    }
  });
});

describe(`idempotency keys kept before they belonged to callers (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('no kept answer survives the migration, so no secret stored in one does', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      await migrate(fresh.db);
      let reversed: string | null;
      do reversed = await rollback(fresh.db);
      while (reversed && !reversed.includes('idempotency_claims'));
      const secret = `sbk_${'A'.repeat(43)}`;
      await fresh.db.execute(sql`insert into idempotency_keys (scope, key, request_hash, status, body, expires_at)
        values ('organization:x', 'k', 'h', 201, ${JSON.stringify({ secret })}, now() + interval '1 day'),
               ('address:127.0.0.1', 'k', 'h', 201, '{"accessToken":"eyJ"}', now() + interval '1 day')`);
      await migrate(fresh.db);
      const rows = rowsOf<{ n: number }>(
        await fresh.db.execute(sql`select count(*)::int as n from idempotency_keys`),
      );
      expect(rows[0]!.n).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});

describe(`who revoked a key before it was kept (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('is taken from the audit log', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      await migrate(fresh.db);
      let reversed: string | null;
      do reversed = await rollback(fresh.db);
      while (reversed && !reversed.includes('api_key_revoked_by'));
      const [row] = rowsOf<{ user: string; revoked: string; live: string }>(
        await fresh.db.execute(sql`with org as (insert into organizations (name) values ('o') returning id),
          usr as (insert into users (organization_id, email, password_hash, role)
            select id, 'a@example.com', 'x', 'admin' from org returning id, organization_id),
          revoked as (insert into api_keys (organization_id, name, scope, prefix, secret_hash, created_by_id, created_by_name, revoked_at)
            select organization_id, 'old', 'read', 'sbk_aaaaaaaa', 'h1', id, 'Ada', now() from usr returning id),
          live as (insert into api_keys (organization_id, name, scope, prefix, secret_hash, created_by_id, created_by_name)
            select organization_id, 'live', 'read', 'sbk_bbbbbbbb', 'h2', id, 'Ada' from usr returning id),
          event as (insert into audit_events (organization_id, actor_type, actor_id, actor_name, action, resource_type, resource_id, resource_name, request_id)
            select usr.organization_id, 'user', usr.id, 'Ada Lovelace', 'apiKey.revoked', 'apiKey', revoked.id, 'old', 'r' from usr, revoked returning id)
          select (select id from usr) as user, (select id from revoked) as revoked, (select id from live) as live, (select count(*) from event) as events`),
      );
      await migrate(fresh.db);
      const keys = rowsOf<{ id: string; revoked_by_id: string | null; revoked_by_name: string | null }>(
        await fresh.db.execute(sql`select id, revoked_by_id, revoked_by_name from api_keys order by name`),
      );
      expect(keys).toEqual([
        { id: row!.live, revoked_by_id: null, revoked_by_name: null },
        { id: row!.revoked, revoked_by_id: row!.user, revoked_by_name: 'Ada Lovelace' },
      ]);
    } finally {
      await fresh.close();
    }
  });
});

describe(`release records before they were kept (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('every existing deployment starts its history with what it serves, numbered with its version', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      await migrate(fresh.db);
      let reversed: string | null;
      do reversed = await rollback(fresh.db);
      while (reversed && !reversed.includes('release_records'));
      const [row] = rowsOf<{ environment: string; template: string }>(
        await fresh.db.execute(sql`with org as (insert into organizations (name) values ('o') returning id),
          env as (insert into environments (organization_id, name) select id, 'staging' from org returning id, organization_id),
          tpl as (insert into session_templates (organization_id, name, agent_ids)
            select id, 't', array[gen_random_uuid()] from org returning id, organization_id),
          dep as (insert into deployments (environment_id, template_id, organization_id, version, stable_template_version,
              stable_agent_versions, canary_template_version, canary_agent_versions, canary_percent,
              deployed_by_type, deployed_by_id, deployed_by_name, deployed_at, note)
            select env.id, tpl.id, tpl.organization_id, 4, 2, '{"a": 1}'::jsonb, 3, '{"a": 2}'::jsonb, 10,
              'user', null, 'Ada', '2026-12-01T10:00:00Z', 'try v3' from env, tpl returning 1)
          select (select id from env) as environment, (select id from tpl) as template, (select count(*) from dep) as deployed`),
      );
      await migrate(fresh.db);
      const records = rowsOf<Record<string, unknown>>(
        await fresh.db.execute(sql`select environment_id, template_id, number, action, stable_template_version,
          stable_agent_versions, canary_template_version, canary_percent, actor_name, note,
          to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at from release_records`),
      );
      expect(records).toEqual([
        {
          environment_id: row!.environment,
          template_id: row!.template,
          number: 4,
          action: 'canaryStarted',
          stable_template_version: 2,
          stable_agent_versions: { a: 1 },
          canary_template_version: 3,
          canary_percent: 10,
          actor_name: 'Ada',
          note: 'try v3',
          at: '2026-12-01T10:00:00',
        },
      ]);
      // Append-only: a record is never edited.
      await expect(fresh.db.execute(sql`update release_records set note = 'x'`)).rejects.toThrow();
    } finally {
      await fresh.close();
    }
  });
});

describe.runIf(process.env.DATABASE_URL)('migrations and timeouts (PostgreSQL)', () => {
  /** A migrations folder of one migration, `statement`. */
  function folderWith(statement: string): string {
    const folder = mkdtempSync(path.join(tmpdir(), 'switchboard-migrations-'));
    mkdirSync(path.join(folder, 'meta'));
    mkdirSync(path.join(folder, 'down'));
    writeFileSync(
      path.join(folder, 'meta/_journal.json'),
      JSON.stringify({ entries: [{ idx: 0, tag: '0000_slow' }] }),
    );
    writeFileSync(path.join(folder, '0000_slow.sql'), statement);
    writeFileSync(path.join(folder, 'down/0000_slow.sql'), 'select 1');
    return folder;
  }

  /** Holds the migration lock from another connection until the answer resolves. */
  async function holdMigrationLock(url: string, ms: number) {
    const holder = postgres(url, { max: 1, onnotice: () => {} });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const held = holder
      .begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
        locked();
        await new Promise((resolve) => setTimeout(resolve, ms));
      })
      .finally(() => holder.end());
    await isLocked;
    return { released: held }; // not the promise itself: awaiting this must not wait for the release
  }

  it('a migration may run longer than the statement timeout, and wait for another runner longer too', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    const timed = await createDatabase({ url: fresh.url!, statementTimeoutMs: 300 });
    try {
      await expect(timed.db.execute(sql`select pg_sleep(0.6)`)).rejects.toThrow();
      expect(await migrate(timed.db, { folder: folderWith('select pg_sleep(0.6)') })).toEqual(['0000_slow']);
      const lock = await holdMigrationLock(fresh.url!, 800);
      const began = performance.now();
      expect(await migrate(timed.db)).toEqual(listMigrations());
      expect(performance.now() - began).toBeGreaterThan(300);
      await lock.released;
    } finally {
      await timed.close();
      await fresh.close();
    }
  });

  it('waiting for the migration lock is bounded by its own timeout, with a clear message', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      const lock = await holdMigrationLock(fresh.url!, 1500);
      const began = performance.now();
      const refused = await migrate(fresh.db, { lockTimeoutMs: 200 }).catch((error: unknown) => error);
      expect(performance.now() - began).toBeLessThan(1500);
      expect(refused).toBeInstanceOf(MigrationLockTimeoutError);
      expect((refused as Error).message).toMatch(/MIGRATION_LOCK_TIMEOUT_MS/);
      await lock.released;
      expect(await migrate(fresh.db, { lockTimeoutMs: 200 })).toEqual(listMigrations());
    } finally {
      await fresh.close();
    }
  });
});
