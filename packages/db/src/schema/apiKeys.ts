import { API_KEY_SCOPES } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { literals } from './columns';
import { environments } from './environments';
import { organizations, users } from './organizations';

const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * An organization's API keys (docs/api.md "API keys"). The secret is never stored: only its SHA-256
 * (`secret_hash`, unique, the lookup on every request) and its first 12 characters (`prefix`).
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    scope: text('scope', { enum: API_KEY_SCOPES }).notNull(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    createdById: uuid('created_by_id')
      .notNull()
      .references(() => users.id),
    createdByName: text('created_by_name').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    expiresAt: instant('expires_at'),
    lastUsedAt: instant('last_used_at'),
    revokedAt: instant('revoked_at'),
    /** Who revoked the key (null while it is not revoked), with their name as it was then. */
    revokedById: uuid('revoked_by_id').references(() => users.id),
    revokedByName: text('revoked_by_name'),
    /**
     * The environment the key is bound to (null: none). An environment with unrevoked keys bound to
     * it cannot be deleted; a revoked key's binding goes with it.
     */
    environmentId: uuid('environment_id').references(() => environments.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('api_keys_secret_hash_key').on(t.secretHash),
    index('api_keys_organization_idx').on(t.organizationId, t.createdAt.desc()),
    check('api_keys_scope_check', sql`${t.scope} in (${literals(API_KEY_SCOPES)})`),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
