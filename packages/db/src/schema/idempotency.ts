import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The first answer to a REST POST sent with an `Idempotency-Key` (docs/api.md "Idempotency keys"), per
 * caller (`user:<id>` or `apiKey:<id>`) and key, kept until `expires_at` (24 hours), then purged.
 * `status` is null while the first request runs; that request holds the claim `claim_id` and
 * renews `renewed_at` as it runs, and only the holder of the claim may record or release the key.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    claimId: uuid('claim_id').notNull(),
    status: integer('status'),
    /** The answer's body as it was sent, less any secret it carried (null for none). */
    body: text('body'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    renewedAt: timestamp('renewed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('idempotency_keys_expires_at_idx').on(t.expiresAt),
  ],
);
