import type { ListInput, Page } from '@switchboard/contract';
import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import { AppError } from '../errors';

/**
 * Keyset pagination over `(created_at DESC, id DESC)`: the cursor is the last row's key, so a
 * page never repeats or skips a row, whatever is inserted meanwhile.
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

/** `(created_at, id) < cursor`: the rows after the cursor in newest-first order. */
export function afterCursor(columns: { createdAt: PgColumn; id: PgColumn }, cursor: string | undefined) {
  if (!cursor) return undefined;
  const key = decodeCursor(cursor);
  return sql`(${columns.createdAt}, ${columns.id}) < (${key.createdAt}::timestamptz, ${key.id}::uuid)`;
}

/** Case-insensitive substring match where `%`, `_` and `\` match only themselves. */
export function nameContains(column: PgColumn, search: string | undefined): SQL | undefined {
  if (!search) return undefined;
  const escaped = search.replace(/[\\%_]/g, (char) => `\\${char}`);
  return sql`${column} ilike ${`%${escaped}%`}`;
}

/** Rows were fetched with `limit + 1`: the extra one says whether another page follows. */
export function toPage<Row extends Key, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(toItem), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
