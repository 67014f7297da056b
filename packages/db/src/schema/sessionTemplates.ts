import { MODALITY_PROFILES, PANEL_TYPES } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { literals, timestamps } from './columns';
import { organizations } from './organizations';

export const sessionTemplates = pgTable(
  'session_templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    description: text('description'),
    agentIds: uuid('agent_ids').array().notNull(),
    initialAgentId: uuid('initial_agent_id'),
    modalityProfile: text('modality_profile', { enum: MODALITY_PROFILES }).notNull().default('audio_only'),
    enabledPanels: text('enabled_panels', { enum: PANEL_TYPES }).array().notNull().default(sql`'{}'::text[]`),
    maxDurationSeconds: integer('max_duration_seconds'),
    idleTimeoutSeconds: integer('idle_timeout_seconds').notNull().default(300),
    isActive: boolean('is_active').notNull().default(true),
    version: integer('version').notNull().default(1),
    /**
     * Goes up whenever the template or any of its agents changes (triggers, migration 0008): what
     * the session config's ETag is made of, so a revalidation reads one integer.
     */
    configVersion: integer('config_version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('session_templates_organization_list_idx')
      .on(t.organizationId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.isActive}`),
    // The deleted ones, to find one to restore (`status: 'deleted'`).
    index('session_templates_organization_deleted_list_idx')
      .on(t.organizationId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`not ${t.isActive}`),
    // The active templates listing an agent (`agent_ids @> array[id]`), asked on every agent change a rule looks at.
    index('session_templates_agent_ids_idx').using('gin', t.agentIds).where(sql`${t.isActive}`),
    check(
      'session_templates_modality_profile_check',
      sql`${t.modalityProfile} in (${literals(MODALITY_PROFILES)})`,
    ),
    check(
      'session_templates_enabled_panels_check',
      sql`${t.enabledPanels} <@ array[${literals(PANEL_TYPES)}]::text[]`,
    ),
    check('session_templates_agent_ids_check', sql`cardinality(${t.agentIds}) between 1 and 50`),
    check(
      'session_templates_max_duration_check',
      sql`${t.maxDurationSeconds} is null or ${t.maxDurationSeconds} > 0`,
    ),
    check('session_templates_idle_timeout_check', sql`${t.idleTimeoutSeconds} > 0`),
    check('session_templates_version_check', sql`${t.version} > 0`),
  ],
);

export type SessionTemplateRow = typeof sessionTemplates.$inferSelect;
