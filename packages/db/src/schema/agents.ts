import { AGENT_MODALITIES, PANEL_TYPES } from '@switchboard/contract';
import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
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
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    index('agents_organization_list_idx')
      .on(t.organizationId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.isActive}`),
    check('agents_modality_check', sql`${t.modality} in (${literals(AGENT_MODALITIES)})`),
    check('agents_panels_check', sql`${t.panels} <@ array[${literals(PANEL_TYPES)}]::text[]`),
  ],
);

export type AgentRow = typeof agents.$inferSelect;
