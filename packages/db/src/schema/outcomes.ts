import { RELEASE_ARMS } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
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
import { environments } from './environments';
import { organizations } from './organizations';

/**
 * Session outcomes as per-minute aggregates (docs/api.md "Session outcomes and guarded canaries"): one
 * row per environment, template, arm, release and minute, never a row per session. Each instance
 * adds what it received into these rows with one multi-row upsert every flush; `latency` is a
 * log-scale histogram of first-response times (`apps/server/src/features/outcomes/histogram.ts` says the buckets).
 * Rows older than 30 days are deleted.
 */
export const outcomeMinutes = pgTable(
  'outcome_minutes',
  {
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    templateId: uuid('template_id').notNull(),
    arm: text('arm', { enum: RELEASE_ARMS }).notNull(),
    /** The release as one text (`templateVersion` and each `agentId@version`, sorted): the key of an arm's release. */
    releaseKey: text('release_key').notNull(),
    minute: timestamp('minute', { withTimezone: true, precision: 3 }).notNull(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    templateVersion: integer('template_version').notNull(),
    agentVersions: jsonb('agent_versions').$type<Record<string, number>>().notNull(),
    sessions: integer('sessions').notNull(),
    failed: integer('failed').notNull(),
    /** Counts of first-response times per log-scale bucket. */
    latency: integer('latency').array().notNull(),
    scoreSum: doublePrecision('score_sum').notNull(),
    scoreCount: integer('score_count').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.templateId, t.arm, t.releaseKey, t.minute] }),
    // Retention: the oldest minutes go first.
    index('outcome_minutes_minute_idx').on(t.minute),
    check('outcome_minutes_arm_check', sql`${t.arm} in (${literals(RELEASE_ARMS)})`),
    check('outcome_minutes_counts_check', sql`${t.failed} between 0 and ${t.sessions}`),
  ],
);

export type OutcomeMinuteRow = typeof outcomeMinutes.$inferSelect;
