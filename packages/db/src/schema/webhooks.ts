import { DELIVERY_STATUSES } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { literals, timestamps } from './columns';
import { organizations } from './organizations';

const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * An organization's webhook endpoints (docs/api.md "Change events"). Signing secrets are stored
 * encrypted (AES-256-GCM under a key derived from the server's secret), never in clear; after a
 * rotation the previous one also signs until `previous_secret_expires_at`.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    url: text('url').notNull(),
    description: text('description'),
    eventTypes: text('event_types').array().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    disabledReason: text('disabled_reason'),
    secretEncrypted: text('secret_encrypted').notNull(),
    previousSecretEncrypted: text('previous_secret_encrypted'),
    previousSecretExpiresAt: instant('previous_secret_expires_at'),
    /** Since when every attempt has failed (null after a success): what disables it after days. */
    failingSince: instant('failing_since'),
    ...timestamps,
  },
  (t) => [index('webhooks_organization_idx').on(t.organizationId, t.createdAt.desc())],
);

/**
 * One event to send to one endpoint, with every attempt. A pending delivery is due at
 * `next_attempt_at`; an instance claims it with a lease (`lease_id`, `locked_until`), so one
 * instance at a time attempts it, and a dead instance's lease runs out.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    eventId: uuid('event_id').notNull(),
    type: text('type').notNull(),
    sequence: bigint('sequence', { mode: 'number' }),
    /** The request body, as sent on every attempt. */
    body: text('body').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: jsonb('attempts').notNull().default(sql`'[]'::jsonb`),
    nextAttemptAt: instant('next_attempt_at'),
    leaseId: uuid('lease_id'),
    lockedUntil: instant('locked_until'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt.desc(), t.id.desc()),
    check('webhook_deliveries_status_check', sql`${t.status} in (${literals(DELIVERY_STATUSES)})`),
  ],
);

export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
