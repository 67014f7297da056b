import { sql } from 'drizzle-orm';
import { timestamp } from 'drizzle-orm/pg-core';

/** `'a', 'b', ...` for a CHECK constraint over one of the contract's enums (constants, never user input). */
export function literals(values: readonly string[]) {
  return sql.raw(values.map((value) => `'${value}'`).join(', '));
}

/**
 * Timestamps keep millisecond precision, exactly what a JavaScript Date holds, so a value
 * read back (and put in a list cursor) compares equal to the stored one.
 */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};
