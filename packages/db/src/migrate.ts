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
export const MIGRATION_LOCK_KEY = 7_270_417;
/** How long a runner waits for another one's migrations by default (`MIGRATION_LOCK_TIMEOUT_MS`). */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 120_000;

export interface MigrateOptions {
  folder?: string;
  /** How long to wait for the migration lock another runner holds; then a clear error. */
  lockTimeoutMs?: number;
}

export class MigrationLockTimeoutError extends Error {}

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

/**
 * Takes the migration lock and answers the applied migrations. A migration may run longer than
 * the statement timeout the server's connections carry, so this transaction has none; the wait
 * for another runner's lock is bounded by its own timeout instead.
 */
async function lockAndReadApplied(tx: Db, lockTimeoutMs: number): Promise<Set<string>> {
  await tx.execute(sql`set local statement_timeout = 0`);
  await tx.execute(sql.raw(`set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`));
  try {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
  } catch (error) {
    if (sqlState(error) !== '55P03') throw error;
    throw new MigrationLockTimeoutError(
      `Another instance has been migrating the database for over ${lockTimeoutMs} ms; ` +
        'start again once it is done, or raise MIGRATION_LOCK_TIMEOUT_MS',
    );
  }
  // The migrations' own statements wait for their table locks as long as they must.
  await tx.execute(sql`set local lock_timeout = 0`);
  await tx.execute(
    sql`create table if not exists switchboard_migrations (name text primary key, applied_at timestamptz not null default now())`,
  );
  const rows = await tx.execute(sql`select name from switchboard_migrations`);
  return new Set(rowsOf<{ name: string }>(rows).map((row) => row.name));
}

function sqlState(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** postgres.js answers an array of rows, PGlite an object with `rows`. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** Applies every pending migration; answers the names it applied. */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const { folder = MIGRATIONS_FOLDER, lockTimeoutMs = DEFAULT_MIGRATION_LOCK_TIMEOUT_MS } = options;
  return db.transaction(async (tx) => {
    const applied = await lockAndReadApplied(tx, lockTimeoutMs);
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
export async function rollback(db: Db, options: MigrateOptions = {}): Promise<string | null> {
  const { folder = MIGRATIONS_FOLDER, lockTimeoutMs = DEFAULT_MIGRATION_LOCK_TIMEOUT_MS } = options;
  return db.transaction(async (tx) => {
    const applied = await lockAndReadApplied(tx, lockTimeoutMs);
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
