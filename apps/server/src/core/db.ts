import type { Db } from '@switchboard/db';
import { and, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

/** PostgreSQL's SQLSTATE of an error, looking through the wrappers Drizzle puts around it. */
export function sqlState(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';

/** PostgreSQL broke a deadlock (40P01) or a serialization conflict (40001) by aborting this transaction. */
export const isRetryableConflict = (error: unknown) => {
  const state = sqlState(error);
  return state === '40P01' || state === '40001';
};

/** Thrown inside a write transaction when a row it read unlocked changed before it could lock it. */
export class RetryTransaction extends Error {}

const WRITE_ATTEMPTS = 4;

/**
 * A write transaction. Writes lock only the rows their rules read (see the services), so two
 * writes that take the same locks in opposite orders (two agents naming each other as handoff
 * targets at once) can deadlock; PostgreSQL then aborts one of them, and it runs again here, as it
 * does when it finds a row it read changed before it locked it (`RetryTransaction`). Each attempt
 * starts from nothing: it reads, checks and writes afresh.
 */
export async function writeTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const retry = error instanceof RetryTransaction || isRetryableConflict(error);
      if (!retry || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/**
 * Something built once per database, such as prepared statements: Drizzle then sends the SQL it
 * built once instead of building it on every request.
 */
export function perDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) {
      value = build(db);
      built.set(db, value);
    }
    return value;
  };
}

/**
 * `column` is true, written as the bare column rather than `column = $1`: a prepared statement's
 * generic plan can then still use the partial indexes `... WHERE is_active`, which a parameter
 * would hide from the planner.
 */
export function isTrue(column: PgColumn): SQL {
  return sql`${column}`;
}

/** A table of organization-owned rows that are soft-deleted (`is_active = false`). */
export type OwnedTable = PgTable & { id: PgColumn; organizationId: PgColumn; isActive: PgColumn };

/**
 * The organization's rows that are not deleted; with `id`, that one row. The only way services
 * select agents and templates, so no query can forget the organization or the soft delete.
 * Values may be placeholders of a prepared statement.
 */
export function activeRows(
  table: OwnedTable,
  organizationId: string | SQLWrapper,
  id?: string | SQLWrapper,
): SQL {
  return and(
    id === undefined ? undefined : eq(table.id, id),
    eq(table.organizationId, organizationId),
    isTrue(table.isActive),
  )!;
}

/**
 * The organization's rows among `ids`, deleted ones included, in the order asked (each once);
 * other organizations' and unknown ids are left out, as if they did not exist.
 */
export async function rowsByIds<T extends OwnedTable>(
  db: Db,
  table: T,
  organizationId: string,
  ids: string[],
): Promise<T['$inferSelect'][]> {
  const asked = [...new Set(ids)];
  const rows = (await db
    .select()
    .from(table as PgTable)
    .where(and(eq(table.organizationId, organizationId), inArray(table.id, asked)))) as (T['$inferSelect'] & {
    id: string;
  })[];
  const byId = new Map(rows.map((row) => [row.id, row]));
  return asked.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
}

/** The rows of a `db.execute` result: postgres.js answers an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}
