import type { Db } from '@switchboard/db';
import { and, eq, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
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

/**
 * Serialises the writes of one organization that must see each other (agents and the templates
 * that reference them), so no rule can be broken by two writes passing each other. Released at
 * the end of the transaction. Other organizations are not held up.
 */
export async function lockOrganization(tx: Db, organizationId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(1, hashtext(${organizationId}))`);
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
