import { z } from 'zod';

/** Largest value of a PostgreSQL `integer` (int4). */
export const INT4_MAX = 2_147_483_647;

/**
 * Any 8-4-4-4-12 hexadecimal id, as PostgreSQL's `uuid` type accepts it, in either letter case,
 * and lower-cased on the way in: past the contract every id has one spelling, so no service ever
 * compares two spellings of one id (and the same id twice in a list is a duplicate however it is spelt).
 */
export const Id = z.guid().toLowerCase();

export const Timestamp = z.iso.datetime({ offset: true });

/** Text as PostgreSQL can store it: any string without NUL characters. */
export const text = () =>
  z.string().refine((value) => !value.includes('\0'), 'Must not contain NUL characters');

/** A display name: trimmed, then 1..255 characters. */
export const Name = text().trim().min(1).max(255);

export const PositiveInt4 = z.int().min(1).max(INT4_MAX);

export function distinct<T extends z.ZodType>(item: T, label: string) {
  return z
    .array(item)
    .refine((values) => new Set(values).size === values.length, `${label} must not contain duplicates`)
    .meta({ uniqueItems: true });
}

export const IdInput = z.strictObject({ id: Id });

/** Up to 100 ids, answered in the order asked (over REST: `?ids=a,b,…`). */
export const IdsInput = z.strictObject({ ids: z.array(Id).min(1).max(100) });

export const LIST_LIMIT_MAX = 100;
export const LIST_LIMIT_DEFAULT = 50;

/**
 * Query of every paginated list: `limit`, opaque `cursor` from the previous page, literal `search`
 * on the name, and `status`: the active entities (the default) or the deleted ones, to find one to
 * restore.
 */
export const ListInput = z.strictObject({
  limit: z.int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
  cursor: text().min(1).max(200).optional(),
  search: text().max(255).optional(),
  status: z.enum(['active', 'deleted']).default('active'),
});
export type ListInput = z.input<typeof ListInput>;

/** Entities asked for by id (`getMany`): in the order asked, deleted ones included. */
export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export type Page<T> = { items: T[]; nextCursor: string | null };

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;
