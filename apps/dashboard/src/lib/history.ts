import {
  AGENT_SETTABLE_FIELDS,
  type Agent,
  type AgentModality,
  type AgentRevision,
  type ModalityProfile,
  type PanelType,
  type RevisionAction,
  type SessionTemplate,
  type SessionTemplateRevision,
  TEMPLATE_SETTABLE_FIELDS,
  type Variable,
} from '@switchboard/client';
import { client, pagedList, trpc } from './api';
import { formatSeconds, MODALITY_LABELS, PANEL_LABELS, PROFILE_LABELS } from './labels';

export type HistoryKind = 'agent' | 'sessionTemplate';
export type Revision = AgentRevision | SessionTemplateRevision;
export type Entity = Agent | SessionTemplate;

/** The typed client's history procedures of each kind, and the fields a revision compares. */
export const HISTORY = {
  agent: {
    label: 'agent',
    fields: AGENT_SETTABLE_FIELDS as readonly string[],
    /** Its revisions, newest first, 20 a page. */
    revisions: (id: string) =>
      pagedList(trpc.agents.revisions.infiniteQueryKey({ id, limit: 20 }), client.agents.revisions, {
        id,
        limit: 20,
      }),
    /** Its newest revision alone. */
    latest: (id: string) => trpc.agents.revisions.queryOptions({ id, limit: 1 }),
    restore: trpc.agents.restore,
  },
  sessionTemplate: {
    label: 'template',
    fields: TEMPLATE_SETTABLE_FIELDS as readonly string[],
    revisions: (id: string) =>
      pagedList(
        trpc.sessionTemplates.revisions.infiniteQueryKey({ id, limit: 20 }),
        client.sessionTemplates.revisions,
        { id, limit: 20 },
      ),
    latest: (id: string) => trpc.sessionTemplates.revisions.queryOptions({ id, limit: 1 }),
    restore: trpc.sessionTemplates.restore,
  },
} as const;

export const ACTION_LABELS: Record<RevisionAction, string> = {
  created: 'Created',
  cloned: 'Cloned',
  updated: 'Updated',
  deleted: 'Deleted',
  restored: 'Restored',
  imported: 'Imported',
};

export const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  description: 'Description',
  agentIds: 'Agents',
  initialAgentId: 'Greets first',
  modalityProfile: 'Media',
  enabledPanels: 'Panels',
  maxDurationSeconds: 'Max duration',
  idleTimeoutSeconds: 'Idle timeout',
  instructions: 'Instructions',
  model: 'Model',
  voice: 'Voice',
  handoffTargets: 'Hands off to',
  tools: 'Tools',
  modality: 'Modality',
  panels: 'Panels',
  variables: 'Variables',
  agents: 'Agents',
  initialAgent: 'Greets first',
};

/** A variable declaration in a line: `language (en | de, default "en")`. */
export function describeVariable(variable: Variable): string {
  const type = variable.type === 'enum' ? (variable.enumValues ?? []).join(' | ') : variable.type;
  const rule = variable.required
    ? 'required'
    : variable.default === null
      ? 'optional'
      : `default ${JSON.stringify(variable.default)}`;
  return `${variable.name} (${type}, ${rule})`;
}

/** A field's value as a person reads it: agent names instead of ids, labels instead of enum values. */
export function formatValue(field: string, value: unknown, nameOf: (id: string) => string): string {
  if (value === null || value === undefined) {
    if (field === 'maxDurationSeconds') return 'No limit';
    if (field === 'initialAgentId') return 'The first agent';
    return '—';
  }
  switch (field) {
    case 'agentIds':
    case 'handoffTargets':
      return (value as string[]).map(nameOf).join(', ') || '—';
    case 'initialAgentId':
      return nameOf(value as string);
    case 'modalityProfile':
      return PROFILE_LABELS[value as ModalityProfile] ?? String(value);
    case 'modality':
      return MODALITY_LABELS[value as AgentModality] ?? String(value);
    case 'enabledPanels':
    case 'panels':
      return (value as PanelType[]).map((panel) => PANEL_LABELS[panel] ?? panel).join(', ') || '—';
    case 'maxDurationSeconds':
    case 'idleTimeoutSeconds':
      return formatSeconds(value as number);
    case 'variables':
      return (value as Variable[]).map(describeVariable).join('; ') || '—';
    default:
      return Array.isArray(value) ? value.join(', ') || '—' : String(value);
  }
}

/** The settable fields whose values differ between two states of an entity, for "what a restore changes". */
export function differences(kind: HistoryKind, from: Entity, to: Entity) {
  const before = from as unknown as Record<string, unknown>;
  const after = to as unknown as Record<string, unknown>;
  return HISTORY[kind].fields
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}
