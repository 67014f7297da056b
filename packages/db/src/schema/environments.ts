import { ACTOR_TYPES, type GuardStatus, RELEASE_RECORD_ACTIONS } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
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
import { literals, timestamps } from './columns';
import { organizations } from './organizations';
import { sessionTemplates } from './sessionTemplates';

/**
 * Where runtimes read session config from (docs/api.md "Environments and deployments"). Every
 * organization has `production` (a trigger adds it to every new organization; migration 0014 to
 * the existing ones).
 */
export const environments = pgTable(
  'environments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    followsLatest: boolean('follows_latest').notNull().default(false),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('environments_organization_name_key').on(t.organizationId, t.name),
    check('environments_name_check', sql`${t.name} ~ '^[a-z0-9-]{1,40}$'`),
  ],
);

/** A canary's guard as kept on its deployment (docs/api.md "Session outcomes and guarded canaries"). */
export interface StoredGuard {
  maxFailureRateIncrease: number;
  maxFirstResponseP95IncreaseMs: number | null;
  minSessions: number;
  bakeMinutes: number;
  autoPromote: boolean;
  status: GuardStatus;
  checkedAt: string | null;
  detail: string | null;
  /** When the canary began to serve (ISO). */
  since: string;
}

/**
 * What one environment serves for one template: the stable release and, for `canary_percent` of
 * sessions, a canary. A release is a template revision with the agent versions it runs
 * (`{ agentId: version }`), read from the revision tables: nothing is copied.
 */
export const deployments = pgTable(
  'deployments',
  {
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    templateId: uuid('template_id')
      .notNull()
      .references(() => sessionTemplates.id),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    version: integer('version').notNull().default(1),
    stableTemplateVersion: integer('stable_template_version').notNull(),
    stableAgentVersions: jsonb('stable_agent_versions').$type<Record<string, number>>().notNull(),
    canaryTemplateVersion: integer('canary_template_version'),
    canaryAgentVersions: jsonb('canary_agent_versions').$type<Record<string, number>>(),
    canaryPercent: integer('canary_percent'),
    /** The canary's guard (settings, what it last found, and since when the canary serves); null: unguarded. */
    canaryGuard: jsonb('canary_guard').$type<StoredGuard>(),
    deployedByType: text('deployed_by_type', { enum: ACTOR_TYPES }).notNull(),
    deployedById: uuid('deployed_by_id'),
    deployedByName: text('deployed_by_name').notNull(),
    deployedAt: timestamp('deployed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    note: text('note'),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.templateId] }),
    // Which environments a template is deployed to (asked before it is deleted).
    index('deployments_template_idx').on(t.templateId),
    check(
      'deployments_canary_check',
      sql`(${t.canaryPercent} is null and ${t.canaryTemplateVersion} is null and ${t.canaryAgentVersions} is null)
        or (${t.canaryPercent} between 1 and 99 and ${t.canaryTemplateVersion} is not null and ${t.canaryAgentVersions} is not null)`,
    ),
    check('deployments_guard_check', sql`${t.canaryGuard} is null or ${t.canaryPercent} is not null`),
    // The guards the server watches.
    index('deployments_watched_idx').on(t.environmentId).where(sql`${t.canaryGuard}->>'status' = 'watching'`),
    check('deployments_version_check', sql`${t.version} > 0`),
    check('deployments_deployed_by_type_check', sql`${t.deployedByType} in (${literals(ACTOR_TYPES)})`),
  ],
);

/**
 * The history of what one environment served for one template (docs/api.md "Releases"): one row per
 * change, written in the transaction that changes the deployment, never edited or deleted (a
 * trigger refuses both; deleting the environment drops its history with it). `number` counts from 1
 * per environment and template and never restarts; the deployment's `version` is its latest number.
 * `stable`/`canary` are what the environment serves from this record on (both null: nothing fixed,
 * after an undeploy or once it follows latest). `at` is the clock at the insert, so records of one
 * deployment, which take its row lock in turn, have increasing times as well as numbers.
 */
export const releaseRecords = pgTable(
  'release_records',
  {
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    templateId: uuid('template_id')
      .notNull()
      .references(() => sessionTemplates.id),
    number: integer('number').notNull(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    action: text('action', { enum: RELEASE_RECORD_ACTIONS }).notNull(),
    stableTemplateVersion: integer('stable_template_version'),
    stableAgentVersions: jsonb('stable_agent_versions').$type<Record<string, number>>(),
    canaryTemplateVersion: integer('canary_template_version'),
    canaryAgentVersions: jsonb('canary_agent_versions').$type<Record<string, number>>(),
    canaryPercent: integer('canary_percent'),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: uuid('actor_id'),
    actorName: text('actor_name').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().default(sql`clock_timestamp()`),
    note: text('note'),
    reason: text('reason'),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.templateId, t.number] }),
    // What an environment served at an instant: the newest record of each template at or before it.
    index('release_records_environment_at_idx').on(t.environmentId, t.at),
    check('release_records_number_check', sql`${t.number} > 0`),
    check('release_records_action_check', sql`${t.action} in (${literals(RELEASE_RECORD_ACTIONS)})`),
    check('release_records_actor_type_check', sql`${t.actorType} in (${literals(ACTOR_TYPES)})`),
    check(
      'release_records_stable_check',
      sql`(${t.stableTemplateVersion} is null) = (${t.stableAgentVersions} is null)`,
    ),
    check(
      'release_records_canary_check',
      sql`(${t.canaryPercent} is null and ${t.canaryTemplateVersion} is null and ${t.canaryAgentVersions} is null)
        or (${t.canaryPercent} between 1 and 99 and ${t.canaryTemplateVersion} is not null and ${t.canaryAgentVersions} is not null
            and ${t.stableTemplateVersion} is not null)`,
    ),
  ],
);

export type ReleaseRecordRow = typeof releaseRecords.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;
export type DeploymentRow = typeof deployments.$inferSelect;
