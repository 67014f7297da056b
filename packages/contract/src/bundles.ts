import { z } from 'zod';
import { AGENT_MODEL_DEFAULT, agentFields } from './agents';
import { distinct, Name } from './common';
import { IDLE_TIMEOUT_DEFAULT, templateFields } from './sessionTemplates';

/** The bundle format this server writes and reads. */
export const BUNDLE_FORMAT = 'switchboard.bundle/v1';

/** An agent in a bundle: its settings, with handoff targets by name. Omitted fields take a create's defaults. */
export const AgentSpec = z
  .strictObject({
    name: agentFields.name,
    instructions: agentFields.instructions,
    model: agentFields.model.default(AGENT_MODEL_DEFAULT),
    voice: agentFields.voice.default(null),
    tools: agentFields.tools.default([]),
    modality: agentFields.modality.default('audio_only'),
    panels: agentFields.panels.default([]),
    handoffTargets: distinct(Name, 'handoffTargets').max(50).default([]),
  })
  .meta({ id: 'AgentSpec' });
export type AgentSpec = z.output<typeof AgentSpec>;

/** A session template in a bundle: its settings, with its agents (in order) and who greets first by name. */
export const TemplateSpec = z
  .strictObject({
    name: templateFields.name,
    description: templateFields.description.default(null),
    agents: distinct(Name, 'agents').min(1).max(50),
    initialAgent: Name.nullable().default(null),
    modalityProfile: templateFields.modalityProfile.default('audio_only'),
    enabledPanels: templateFields.enabledPanels.default([]),
    maxDurationSeconds: templateFields.maxDurationSeconds.default(null),
    idleTimeoutSeconds: templateFields.idleTimeoutSeconds.default(IDLE_TIMEOUT_DEFAULT),
  })
  .meta({ id: 'TemplateSpec' });
export type TemplateSpec = z.output<typeof TemplateSpec>;

/**
 * An organization's configuration as code: its active agents and templates, sorted by name
 * (code-point order), without ids, versions or timestamps. The same data always exports to the
 * same bytes.
 */
export const Bundle = z
  .strictObject({
    format: z.literal(BUNDLE_FORMAT),
    agents: z.array(AgentSpec).max(5_000),
    sessionTemplates: z.array(TemplateSpec).max(20_000),
  })
  .meta({ id: 'Bundle' });
export type Bundle = z.output<typeof Bundle>;

export const ImportInput = z
  .strictObject({
    bundle: Bundle,
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
