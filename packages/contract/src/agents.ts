import { z } from 'zod';
import { distinct, Id, itemsOf, Name, PositiveInt4, pageOf, Timestamp, text } from './common';
import { agentModalitySchema as AgentModality, panelTypeSchema as PanelType } from './enumSchemas';
import type { AGENT_SETTABLE_FIELDS } from './enums';
import { Variable, Variables } from './variables';

export const AGENT_MODEL_DEFAULT = 'gpt-4.1-mini';

export const agentFields = {
  name: Name,
  instructions: text().min(1).max(100_000),
  model: text().trim().min(1).max(255),
  voice: text().trim().min(1).max(255).nullable(),
  handoffTargets: distinct(Id, 'handoffTargets').max(50),
  tools: distinct(text().trim().min(1).max(255), 'tools').max(100),
  modality: AgentModality,
  panels: distinct(PanelType, 'panels'),
  variables: Variables,
};

export const CreateAgentInput = z
  .strictObject({
    name: agentFields.name,
    instructions: agentFields.instructions,
    model: agentFields.model.default(AGENT_MODEL_DEFAULT),
    voice: agentFields.voice.default(null),
    handoffTargets: agentFields.handoffTargets.default([]),
    tools: agentFields.tools.default([]),
    modality: agentFields.modality.default('audio_only'),
    panels: agentFields.panels.default([]),
    variables: agentFields.variables.default([]),
  })
  .meta({ id: 'CreateAgentInput' });
export type CreateAgentInput = z.input<typeof CreateAgentInput>;

/**
 * Partial update: an omitted field keeps its value, an explicit `null` clears `voice`. `version`,
 * when given, must be the current one. Every settable field of `agentFields`, optional.
 */
export const UpdateAgentInput = z
  .strictObject(agentFields)
  .partial()
  .extend({ id: Id, version: PositiveInt4.optional() })
  .meta({ id: 'UpdateAgentInput' });
export type UpdateAgentInput = z.input<typeof UpdateAgentInput>;

export const Agent = z
  .object({
    id: Id,
    organizationId: Id,
    name: z.string(),
    instructions: z.string(),
    model: z.string(),
    voice: z.string().nullable(),
    handoffTargets: z.array(Id),
    tools: z.array(z.string()),
    modality: AgentModality,
    panels: z.array(PanelType),
    variables: z.array(Variable),
    isActive: z.boolean(),
    version: z.int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Agent' });
export type Agent = z.infer<typeof Agent>;

// The settable fields are `agentFields`, and the `Agent` answers each (a field added to one and not
// the others fails to compile).
const settableFieldsAgree: [
  Exclude<(typeof AGENT_SETTABLE_FIELDS)[number], keyof typeof agentFields>,
  Exclude<keyof typeof agentFields, (typeof AGENT_SETTABLE_FIELDS)[number]>,
  Exclude<(typeof AGENT_SETTABLE_FIELDS)[number], keyof Agent>,
] extends [never, never, never]
  ? true
  : never = true;
void settableFieldsAgree;

export const AgentPage = pageOf(Agent).meta({ id: 'AgentPage' });
export const AgentList = itemsOf(Agent).meta({ id: 'AgentList' });
export type AgentList = z.infer<typeof AgentList>;
export type AgentPage = z.infer<typeof AgentPage>;
