import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, REVISION_ACTIONS } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { literals } from './columns';
import { organizations } from './organizations';

/** A transaction id that never wraps (`xid8`): the order in which the sequencer numbers events. */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

const at = () => timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow();

/**
 * One row per version of an agent or a session template, written in the transaction of the change
 * (docs/api.md "Revisions"). Append-only: a trigger refuses every UPDATE and DELETE.
 */
export const revisions = pgTable(
  'revisions',
  {
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    resourceType: text('resource_type', { enum: ['agent', 'sessionTemplate'] }).notNull(),
    resourceId: uuid('resource_id').notNull(),
    version: integer('version').notNull(),
    action: text('action', { enum: REVISION_ACTIONS }).notNull(),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: uuid('actor_id'),
    actorName: text('actor_name').notNull(),
    at: at(),
    changes: jsonb('changes').notNull(),
    snapshot: jsonb('snapshot').notNull(),
    agentVersions: jsonb('agent_versions'),
  },
  (t) => [
    // Keyset pages of one resource's history, newest first, and one revision by version.
    primaryKey({ columns: [t.resourceId, t.version] }),
    check('revisions_resource_type_check', sql`${t.resourceType} in ('agent', 'sessionTemplate')`),
    check('revisions_action_check', sql`${t.action} in (${literals(REVISION_ACTIONS)})`),
    check('revisions_actor_type_check', sql`${t.actorType} in (${literals(ACTOR_TYPES)})`),
  ],
);

/**
 * The organization's audit log (docs/api.md "Audit log"): one row per change, written in its
 * transaction, never edited (a trigger refuses every UPDATE and DELETE). `seq` orders it.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: uuid('id').notNull().unique().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    at: at(),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: uuid('actor_id'),
    actorName: text('actor_name').notNull(),
    action: text('action', { enum: AUDIT_ACTIONS }).notNull(),
    resourceType: text('resource_type', { enum: AUDIT_RESOURCE_TYPES }).notNull(),
    resourceId: uuid('resource_id').notNull(),
    resourceName: text('resource_name').notNull(),
    version: integer('version'),
    requestId: text('request_id').notNull(),
    /**
     * Its place in the organization's change events (docs/api.md "Change events"): null until the
     * sequencer numbers it, after its transaction and every older one have ended, so numbers follow
     * the order events become visible.
     */
    sequence: bigint('sequence', { mode: 'number' }),
    /** A release record's event: what the environment serves from then on (`{ stable, canary }`). */
    release: jsonb('release').$type<{ stable: unknown; canary: unknown }>(),
    /** A `deployment.guardChanged` event: the guard's new status and its figures. */
    guard: jsonb('guard').$type<{ status: string; detail: string | null }>(),
    /** The transaction that wrote it. */
    txid: xid8('txid').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    index('audit_events_organization_idx').on(t.organizationId, t.seq.desc()),
    uniqueIndex('audit_events_sequence_key').on(t.organizationId, t.sequence),
    // What the sequencer has still to number, in the order it numbers it.
    index('audit_events_unsequenced_idx').on(t.seq).where(sql`${t.sequence} is null`),
    index('audit_events_resource_idx').on(t.organizationId, t.resourceId, t.seq.desc()),
    index('audit_events_actor_idx').on(t.organizationId, t.actorId, t.seq.desc()),
    check('audit_events_action_check', sql`${t.action} in (${literals(AUDIT_ACTIONS)})`),
    check('audit_events_resource_type_check', sql`${t.resourceType} in (${literals(AUDIT_RESOURCE_TYPES)})`),
    check('audit_events_actor_type_check', sql`${t.actorType} in (${literals(ACTOR_TYPES)})`),
  ],
);

export type RevisionRow = typeof revisions.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

/** The last sequence of each organization's change events: written by the sequencer alone. */
export const eventSequences = pgTable('event_sequences', {
  organizationId: uuid('organization_id')
    .primaryKey()
    .references(() => organizations.id),
  last: bigint('last', { mode: 'number' }).notNull(),
});

/**
 * Every open change-event stream (SSE or tRPC subscription), on any instance: the cap of open
 * streams per organization counts these rows. An instance renews its streams' leases while they
 * stay open and deletes a row when its stream ends; a row whose instance died lapses with its lease.
 */
export const eventStreams = pgTable(
  'event_streams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    openedAt: timestamp('opened_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [index('event_streams_organization_idx').on(table.organizationId, table.leaseUntil)],
);
