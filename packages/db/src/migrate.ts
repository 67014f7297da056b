import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Db } from './client';

/**
 * Applies the migrations drizzle-kit generated (in journal order) and reverses them with the
 * reviewed scripts in `migrations/down/`. Each run holds a transaction-scoped advisory lock, so
 * two server instances starting at once apply every migration exactly once.
 */
export const MIGRATIONS_FOLDER = [
  new URL('../migrations', import.meta.url),
  new URL('./migrations', import.meta.url),
]
  .map((url) => fileURLToPath(url))
  // Beside the sources (packages/db/migrations), or beside a bundle that copied them (dist/migrations).
  .find((folder) => existsSync(path.join(folder, 'meta/_journal.json'))) as string;
const MIGRATION_LOCK_KEY = 7_270_417;

interface Journal {
  entries: { idx: number; tag: string }[];
}

export function listMigrations(folder = MIGRATIONS_FOLDER): string[] {
  const journal = JSON.parse(readFileSync(path.join(folder, 'meta/_journal.json'), 'utf8')) as Journal;
  return journal.entries.toSorted((a, b) => a.idx - b.idx).map((entry) => entry.tag);
}

function statements(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('--> statement-breakpoint')
    .map((statement) => statement.trim())
    .filter(Boolean);
}

async function lockAndReadApplied(tx: Db): Promise<Set<string>> {
  await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
  await tx.execute(
    sql`create table if not exists switchboard_migrations (name text primary key, applied_at timestamptz not null default now())`,
  );
  const rows = await tx.execute(sql`select name from switchboard_migrations`);
  return new Set(rowsOf<{ name: string }>(rows).map((row) => row.name));
}

/** postgres.js answers an array of rows, PGlite an object with `rows`. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** Applies every pending migration; answers the names it applied. */
export async function migrate(db: Db, folder = MIGRATIONS_FOLDER): Promise<string[]> {
  return db.transaction(async (tx) => {
    const applied = await lockAndReadApplied(tx);
    const pending = listMigrations(folder).filter((name) => !applied.has(name));
    for (const name of pending) {
      for (const statement of statements(path.join(folder, `${name}.sql`))) {
        await tx.execute(sql.raw(statement));
      }
      await tx.execute(sql`insert into switchboard_migrations (name) values (${name})`);
    }
    return pending;
  });
}

/** Reverses the newest applied migration; answers its name, or null when none is applied. */
export async function rollback(db: Db, folder = MIGRATIONS_FOLDER): Promise<string | null> {
  return db.transaction(async (tx) => {
    const applied = await lockAndReadApplied(tx);
    const newest = listMigrations(folder)
      .filter((name) => applied.has(name))
      .at(-1);
    if (!newest) return null;
    for (const statement of statements(path.join(folder, 'down', `${newest}.sql`))) {
      await tx.execute(sql.raw(statement));
    }
    await tx.execute(sql`delete from switchboard_migrations where name = ${newest}`);
    return newest;
  });
}
