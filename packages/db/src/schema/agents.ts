import { AGENT_MODALITIES, PANEL_TYPES, type Variable } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { literals, timestamps } from './columns';
import { organizations } from './organizations';

export const agents = pgTable(
  'agents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    instructions: text('instructions').notNull(),
    model: text('model').notNull().default('gpt-4.1-mini'),
    voice: text('voice'),
    handoffTargets: uuid('handoff_targets').array().notNull().default(sql`'{}'::uuid[]`),
    tools: text('tools').array().notNull().default(sql`'{}'::text[]`),
    modality: text('modality', { enum: AGENT_MODALITIES }).notNull().default('audio_only'),
    panels: text('panels', { enum: PANEL_TYPES }).array().notNull().default(sql`'{}'::text[]`),
    /** Its variable declarations (docs/api.md "Variables"), as the API answers them. */
    variables: jsonb('variables').$type<Variable[]>().notNull().default(sql`'[]'::jsonb`),
    isActive: boolean('is_active').notNull().default(true),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('agents_organization_list_idx')
      .on(t.organizationId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.isActive}`),
    // The deleted ones, to find one to restore (`status: 'deleted'`).
    index('agents_organization_deleted_list_idx')
      .on(t.organizationId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`not ${t.isActive}`),
    // Who hands off to an agent (`handoff_targets @> array[id]`), asked before it is deleted.
    index('agents_handoff_targets_idx').using('gin', t.handoffTargets).where(sql`${t.isActive}`),
    check('agents_modality_check', sql`${t.modality} in (${literals(AGENT_MODALITIES)})`),
    check('agents_panels_check', sql`${t.panels} <@ array[${literals(PANEL_TYPES)}]::text[]`),
    check('agents_version_check', sql`${t.version} > 0`),
  ],
);

export type AgentRow = typeof agents.$inferSelect;
