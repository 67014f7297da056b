import { type ModalityProfile, profileCovers, profileMedia } from './enums';
import type { SessionAgent, SessionConfig, SessionConfigOverrides } from './runtime';
import { renderInstructions, resolveValues, type Variable, type VariableValue } from './variables';

/**
 * A session config personalised for one session start (docs/api.md "Session config", "Variables"):
 * the plain answer (what an environment serves for a template, with no overrides or values) with
 * the call's overrides, which may only narrow it, and its variable values rendered into each
 * agent's instructions. The server answers `POST …/config` with it, and `@switchboard/runtime`
 * answers from memory with it, so both give the same answer and the same refusals.
 */

/** The fields overrides may set, in the order `overridden` lists them. */
export const OVERRIDABLE = [
  'initialAgentId',
  'modalityProfile',
  'enabledPanels',
  'maxDurationSeconds',
  'idleTimeoutSeconds',
] as const;
// Every override field is listed (a new one that is not fails to compile).
const everyOverrideListed: Exclude<keyof SessionConfigOverrides, (typeof OVERRIDABLE)[number]> extends never
  ? true
  : never = true;
void everyOverrideListed;

type Issue = { path: string[]; message: string };

/** A refused call: the message and `details` of its 400 (`BAD_REQUEST`). */
export interface SessionConfigRefusal {
  message: string;
  details: { issues: Issue[]; missingVariables?: string[] };
}

/** Does `narrower` publish only media `wider` publishes? */
function mediaWithin(narrower: ModalityProfile, wider: ModalityProfile): boolean {
  const inner = profileMedia(narrower);
  const outer = profileMedia(wider);
  return (!inner.camera || outer.camera) && (!inner.screenshare || outer.screenshare);
}

/** What overrides are checked against: the template as served. */
export interface OverridableTemplate {
  agentIds: readonly string[];
  modalityProfile: ModalityProfile;
  enabledPanels: readonly string[];
  maxDurationSeconds: number | null;
  idleTimeoutSeconds: number;
}

/** One issue per offender of the rule that overrides only narrow the template. */
export function overrideIssues(
  template: OverridableTemplate,
  agents: readonly { id: string; modality: SessionAgent['modality'] }[],
  overrides: SessionConfigOverrides,
): Issue[] {
  const issues: Issue[] = [];
  const at = (...path: string[]) => ['overrides', ...path];
  if (overrides.initialAgentId !== undefined && !template.agentIds.includes(overrides.initialAgentId)) {
    issues.push({ path: at('initialAgentId'), message: "Must be one of the template's agents" });
  }
  const profile = overrides.modalityProfile;
  if (profile !== undefined) {
    if (!mediaWithin(profile, template.modalityProfile)) {
      issues.push({
        path: at('modalityProfile'),
        message: `Publishes media the template's profile (${template.modalityProfile}) does not allow`,
      });
    }
    for (const agent of agents.filter((agent) => !profileCovers(profile, agent.modality))) {
      issues.push({
        path: at('modalityProfile'),
        message: `Does not cover agent ${agent.id} (${agent.modality})`,
      });
    }
  }
  overrides.enabledPanels?.forEach((panel, index) => {
    if (!template.enabledPanels.includes(panel)) {
      issues.push({
        path: at('enabledPanels', String(index)),
        message: `The template does not enable ${panel}`,
      });
    }
  });
  const max = overrides.maxDurationSeconds;
  if (max !== undefined && template.maxDurationSeconds !== null && max > template.maxDurationSeconds) {
    issues.push({
      path: at('maxDurationSeconds'),
      message: `Must be at most the template's ${template.maxDurationSeconds}`,
    });
  }
  const idle = overrides.idleTimeoutSeconds;
  if (idle !== undefined && idle > template.idleTimeoutSeconds) {
    issues.push({
      path: at('idleTimeoutSeconds'),
      message: `Must be at most the template's ${template.idleTimeoutSeconds}`,
    });
  }
  return issues;
}

/**
 * Each agent with its instructions rendered. With values sent, they must all be right (one refusal
 * naming every missing, mistyped or unknown one); without, an optional variable takes its default
 * and an agent declaring a required one gets `renderedInstructions: null`.
 */
export function renderSessionAgents<A extends { instructions: string; variables: Variable[] }>(
  agents: readonly A[],
  declared: readonly Variable[],
  given: Readonly<Record<string, unknown>> | undefined,
): { agents: (A & { renderedInstructions: string | null })[] } | { refusal: SessionConfigRefusal } {
  let values: Record<string, VariableValue | null>;
  if (given === undefined) {
    values = Object.fromEntries(declared.filter((v) => !v.required).map((v) => [v.name, v.default]));
  } else {
    const resolved = resolveValues(declared, given);
    if ('issues' in resolved) {
      return {
        refusal: {
          message: `Variables: ${resolved.issues.map((issue) => `${issue.path.slice(1).join('.')}: ${issue.message}`).join('; ')}`,
          details: { missingVariables: resolved.missingVariables, issues: resolved.issues },
        },
      };
    }
    values = resolved.values;
  }
  return {
    agents: agents.map((agent) => ({
      ...agent,
      renderedInstructions: agent.variables.some((variable) => !Object.hasOwn(values, variable.name))
        ? null
        : renderInstructions(agent.instructions, values),
    })),
  };
}

/**
 * The plain answer personalised with a call's overrides and values (`etag`: the answer's tag, which
 * the caller makes), or the refusal the server answers 400: overrides first, then values.
 */
export function personaliseSessionConfig(
  plain: SessionConfig,
  input: { overrides?: SessionConfigOverrides; variables?: Readonly<Record<string, unknown>> },
  etag: string,
): { config: SessionConfig } | { refusal: SessionConfigRefusal } {
  const overrides = input.overrides ?? {};
  const template: OverridableTemplate = {
    agentIds: plain.agents.map((agent) => agent.id),
    modalityProfile: plain.modalityProfile,
    enabledPanels: plain.enabledPanels,
    maxDurationSeconds: plain.maxDurationSeconds,
    idleTimeoutSeconds: plain.idleTimeoutSeconds,
  };
  const issues = overrideIssues(template, plain.agents, overrides);
  if (issues.length) {
    return {
      refusal: {
        message: `Overrides may only narrow the template: ${issues.map((issue) => issue.message).join('; ')}`,
        details: { issues },
      },
    };
  }
  let agents = plain.agents;
  if (input.variables !== undefined) {
    const rendered = renderSessionAgents(plain.agents, plain.variables, input.variables);
    if ('refusal' in rendered) return rendered;
    agents = rendered.agents;
  }
  const modalityProfile = overrides.modalityProfile ?? plain.modalityProfile;
  return {
    config: {
      ...plain,
      modalityProfile,
      media: profileMedia(modalityProfile),
      enabledPanels: overrides.enabledPanels ?? plain.enabledPanels,
      maxDurationSeconds: overrides.maxDurationSeconds ?? plain.maxDurationSeconds,
      idleTimeoutSeconds: overrides.idleTimeoutSeconds ?? plain.idleTimeoutSeconds,
      initialAgentId: overrides.initialAgentId ?? plain.initialAgentId,
      agents,
      overridden: OVERRIDABLE.filter((field) => overrides[field] !== undefined),
      etag,
    },
  };
}
