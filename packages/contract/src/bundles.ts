import { z } from 'zod';
import { agentFields, CreateAgentInput } from './agents';
import { distinct, Name } from './common';
import { panelTypeSchema as PanelType } from './enumSchemas';
import type { AGENT_SETTABLE_FIELDS } from './enums';
import { CreateSessionTemplateInput, templateFields } from './sessionTemplates';
import { Variable } from './variables';

/** The bundle format this server writes and reads. */
export const BUNDLE_FORMAT = 'switchboard.bundle/v1';

/**
 * An agent in a bundle as it is read: a create's fields and defaults, with handoff targets by
 * name instead of id.
 */
export const AgentSpecInput = CreateAgentInput.extend({
  handoffTargets: distinct(Name, 'handoffTargets').max(50).default([]),
}).meta({ id: 'AgentSpecInput' });
export type AgentSpec = z.output<typeof AgentSpecInput>;

/** A session template in a bundle as it is read: its agents (in order) and who greets first by name. */
export const TemplateSpecInput = CreateSessionTemplateInput.omit({ agentIds: true, initialAgentId: true })
  .extend({
    agents: distinct(Name, 'agents').min(1).max(50),
    initialAgent: Name.nullable().default(null),
  })
  .meta({ id: 'TemplateSpecInput' });
export type TemplateSpec = z.output<typeof TemplateSpecInput>;

/** A bundle as an import reads it. */
export const BundleInput = z
  .strictObject({
    format: z.literal(BUNDLE_FORMAT),
    agents: z.array(AgentSpecInput).max(5_000),
    sessionTemplates: z.array(TemplateSpecInput).max(20_000),
  })
  .meta({ id: 'BundleInput' });

/**
 * An organization's configuration as code, as an export writes it: its active agents and templates,
 * sorted by name (code-point order), without ids, versions or timestamps, every field present. The
 * same data always exports to the same bytes.
 */
export const ExportedAgentSpec = z
  .object({
    name: z.string(),
    instructions: z.string(),
    model: z.string(),
    voice: z.string().nullable(),
    tools: z.array(z.string()),
    modality: agentFields.modality,
    panels: z.array(PanelType),
    handoffTargets: z.array(z.string()),
    variables: z.array(Variable),
  })
  .meta({ id: 'AgentSpec' });

// An exported agent carries every settable field (a field added to the agent and not here fails to compile).
const everyAgentFieldExported: [
  Exclude<(typeof AGENT_SETTABLE_FIELDS)[number], keyof z.infer<typeof ExportedAgentSpec>>,
  Exclude<keyof z.infer<typeof ExportedAgentSpec>, (typeof AGENT_SETTABLE_FIELDS)[number]>,
] extends [never, never]
  ? true
  : never = true;
void everyAgentFieldExported;

export const ExportedTemplateSpec = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    agents: z.array(z.string()),
    initialAgent: z.string().nullable(),
    modalityProfile: templateFields.modalityProfile,
    enabledPanels: z.array(PanelType),
    maxDurationSeconds: z.int().nullable(),
    idleTimeoutSeconds: z.int(),
  })
  .meta({ id: 'TemplateSpec' });

export const Bundle = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    agents: z.array(ExportedAgentSpec),
    sessionTemplates: z.array(ExportedTemplateSpec),
  })
  .meta({ id: 'Bundle' });
export type Bundle = z.infer<typeof Bundle>;

export const ImportInput = z
  .strictObject({
    bundle: BundleInput,
    /** Plan only: answer what would change, and change nothing. */
    dryRun: z.boolean().default(false),
    /** Also delete the active agents and templates the bundle does not name. */
    prune: z.boolean().default(false),
  })
  .meta({ id: 'ImportInput' });
export type ImportInput = z.input<typeof ImportInput>;

export const IMPORT_ACTIONS = ['create', 'update', 'unchanged', 'delete'] as const;

export const ImportPlan = z
  .object({
    dryRun: z.boolean(),
    applied: z.boolean(),
    changes: z.array(
      z.object({
        kind: z.enum(['agent', 'sessionTemplate']),
        name: z.string(),
        action: z.enum(IMPORT_ACTIONS),
        /** The changed fields of an update (empty otherwise). */
        fields: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'ImportPlan' });
export type ImportPlan = z.infer<typeof ImportPlan>;
