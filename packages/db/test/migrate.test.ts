import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, listMigrations, migrate, rollback } from '../src';
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
    const every = ['agents', 'auth_rate_limits', 'organizations', 'session_templates', 'users'];
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
