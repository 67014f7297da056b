import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, REVISION_ACTIONS } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { literals } from './columns';
import { organizations } from './organizations';

const at = () => timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow();

/**
 * One row per version of an agent or a session template, written in the transaction of the change
 * (API.md "Revisions"). Append-only: a trigger refuses every UPDATE and DELETE.
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
 * The organization's audit log (API.md "Audit log"): one row per change, written in its
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
  },
  (t) => [
    index('audit_events_organization_idx').on(t.organizationId, t.seq.desc()),
    index('audit_events_resource_idx').on(t.organizationId, t.resourceId, t.seq.desc()),
    index('audit_events_actor_idx').on(t.organizationId, t.actorId, t.seq.desc()),
    check('audit_events_action_check', sql`${t.action} in (${literals(AUDIT_ACTIONS)})`),
    check('audit_events_resource_type_check', sql`${t.resourceType} in (${literals(AUDIT_RESOURCE_TYPES)})`),
    check('audit_events_actor_type_check', sql`${t.actorType} in (${literals(ACTOR_TYPES)})`),
  ],
);

export type RevisionRow = typeof revisions.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
