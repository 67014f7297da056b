import type { ListInput, Page } from '@switchboard/contract';
import type { Db } from '@switchboard/db';
import { and, desc, eq, not, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import { activeRows, isTrue, type OwnedTable, perDatabase } from './db';
import { AppError } from './errors';

/**
 * Keyset pagination over `(created_at DESC, id DESC)`: the cursor is the last row's key, so a
 * page never repeats or skips a row, whatever is inserted meanwhile. The index
 * `(organization_id, created_at DESC, id DESC) WHERE is_active` serves every page, deep or not.
 */
export type ListQuery = z.output<typeof ListInput>;

interface Key {
  createdAt: Date;
  id: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(key: Key): string {
  return Buffer.from(`${key.createdAt.toISOString()}|${key.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(createdAt);
  const issued =
    !rest.length &&
    GUID.test(id) &&
    /^\d{4}-/.test(createdAt) && // a year past 9999 is no key this server issued
    !Number.isNaN(date.getTime()) &&
    date.toISOString() === createdAt;
  if (!issued) {
    throw new AppError('BAD_REQUEST', 'Invalid cursor: pass the nextCursor of a previous page', {
      issues: [{ path: ['cursor'], message: 'Invalid cursor' }],
    });
  }
  return { createdAt, id };
}

/**
 * The keyset condition of a page after `cursor`, for rows ordered by `(time DESC, id DESC)`: the
 * one pagination rule every list follows (the prepared lists below, deployments, deliveries).
 */
export function afterCursor(cursor: string | undefined, time: PgColumn, id: PgColumn): SQL | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor);
  return or(
    sql`${time} < ${after.createdAt}::timestamptz`,
    and(sql`${time} = ${after.createdAt}::timestamptz`, sql`${id} < ${after.id}::uuid`),
  );
}

/** A page of `rows` read with `limit + 1`: the first `limit`, and the cursor after the last when more follow. */
export function keysetPage<Row>(
  rows: Row[],
  limit: number,
  key: (row: Row) => Key,
): { items: Row[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

/** `search` as an ILIKE pattern where `%`, `_` and `\` match only themselves. */
function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** The columns a paginated, searchable, soft-deletable table has. */
type ListTable = OwnedTable & { name: PgColumn; createdAt: PgColumn };

/**
 * The eight list queries of a table (active or deleted rows, with or without search, with or
 * without cursor), prepared once per database so no request builds SQL. Each list has its partial
 * index, `... WHERE is_active` or `... WHERE NOT is_active`.
 */
function prepareLists(db: Db, table: ListTable, label: string) {
  const prepare = (deleted: boolean, withSearch: boolean, withCursor: boolean) =>
    db
      .select()
      .from(table)
      .where(
        and(
          deleted
            ? and(eq(table.organizationId, sql.placeholder('organizationId')), not(isTrue(table.isActive)))
            : activeRows(table, sql.placeholder('organizationId')),
          withSearch ? sql`${table.name} ilike ${sql.placeholder('pattern')}` : undefined,
          withCursor
            ? sql`(${table.createdAt}, ${table.id}) < (${sql.placeholder('cursorAt')}::timestamptz, ${sql.placeholder('cursorId')}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(table.createdAt), desc(table.id))
      .limit(sql.placeholder('limit'))
      .prepare(
        `${label}_list${deleted ? '_deleted' : ''}${withSearch ? '_search' : ''}${withCursor ? '_after' : ''}`,
      );
  return [false, true].flatMap((deleted) => [
    prepare(deleted, false, false),
    prepare(deleted, true, false),
    prepare(deleted, false, true),
    prepare(deleted, true, true),
  ]);
}

/** One active row of the organization by id (null when missing, deleted or another's), prepared once per database. */
export function finder<Row>(table: ListTable, label: string) {
  const statements = perDatabase((db) =>
    db
      .select()
      .from(table)
      .where(activeRows(table, sql.placeholder('organizationId'), sql.placeholder('id')))
      .limit(1)
      .prepare(`${label}_get`),
  );
  return async (db: Db, organizationId: string, id: string): Promise<Row | null> => {
    const [row] = (await statements(db).execute({ id, organizationId })) as Row[];
    return row ?? null;
  };
}

/** A page of a table's active (or deleted) rows of one organization, newest first. */
export function lister<Row extends Key>(table: ListTable, label: string) {
  const statements = perDatabase((db) => prepareLists(db, table, label));
  return async function list<Item>(
    db: Db,
    organizationId: string,
    query: ListQuery,
    toItem: (row: Row) => Item,
  ): Promise<Page<Item>> {
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    const statement =
      statements(db)[(query.search ? 1 : 0) + (cursor ? 2 : 0) + (query.status === 'deleted' ? 4 : 0)]!;
    const rows = (await statement.execute({
      organizationId,
      limit: query.limit + 1,
      pattern: query.search ? containsPattern(query.search) : undefined,
      cursorAt: cursor?.createdAt,
      cursorId: cursor?.id,
    })) as Row[];
    const page = keysetPage(rows, query.limit, (row) => row);
    return { items: page.items.map(toItem), nextCursor: page.nextCursor };
  };
}
