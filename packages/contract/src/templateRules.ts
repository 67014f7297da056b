import { type AgentModality, type ModalityProfile, type PanelType, profileCovers } from './enums';
import { type Variable, variableConflicts } from './variables';

/**
 * The rules of a session template, defined once: the server checks them on every write, and the
 * dashboard's form shows the same verdicts as the person edits. Free of zod.
 */
type ErrorDetails = Record<string, unknown>;

/** The settings of a session template that the rules look at. */
export interface TemplateRuleFields {
  agentIds: string[];
  initialAgentId: string | null;
  modalityProfile: ModalityProfile;
  enabledPanels: PanelType[];
}

/** What the rules need to know of an active agent of the organization. */
export interface AgentFacts {
  id: string;
  modality: AgentModality;
  panels: PanelType[];
  /** Its variable declarations: two agents of one template must agree on a shared name. */
  variables: readonly Variable[];
}

/**
 * Every broken rule of a template, naming every offender: agents that are not active agents of
 * the organization, an initial agent outside the set, agents whose modality the profile does not
 * cover, enabled panels that no agent of the set provides, and variables its agents declare
 * differently. Null when the template is valid.
 */
export function templateProblems(
  template: TemplateRuleFields,
  agents: ReadonlyMap<string, AgentFacts>,
): { message: string; details: ErrorDetails; reasons: string[] } | null {
  const messages: string[] = [];
  const details: ErrorDetails = {};

  const invalidAgentIds = template.agentIds.filter((id) => !agents.has(id));
  if (invalidAgentIds.length) {
    details.invalidAgentIds = invalidAgentIds;
    messages.push(`agents not found in this organization: ${invalidAgentIds.join(', ')}`);
  }
  if (template.initialAgentId !== null && !template.agentIds.includes(template.initialAgentId)) {
    details.issues = [{ path: ['initialAgentId'], message: 'initialAgentId must be one of agentIds' }];
    messages.push('initialAgentId must be one of agentIds');
  }
  const members = template.agentIds.flatMap((id) => agents.get(id) ?? []);
  const uncoveredAgentIds = members
    .filter((agent) => !profileCovers(template.modalityProfile, agent.modality))
    .map((agent) => agent.id);
  if (uncoveredAgentIds.length) {
    details.uncoveredAgentIds = uncoveredAgentIds;
    messages.push(
      `modality profile ${template.modalityProfile} does not cover agents: ${uncoveredAgentIds.join(', ')}`,
    );
  }
  // A panel can only be judged unsupported once every agent of the set is known.
  if (!invalidAgentIds.length) {
    const provided = new Set(members.flatMap((agent) => agent.panels));
    const unsupportedPanels = template.enabledPanels.filter((panel) => !provided.has(panel));
    if (unsupportedPanels.length) {
      details.unsupportedPanels = unsupportedPanels;
      messages.push(`panels not provided by any agent of the set: ${unsupportedPanels.join(', ')}`);
    }
  }
  const conflicts = variableConflicts(members);
  if (conflicts.length) {
    details.variableConflicts = conflicts;
    messages.push(
      `agents declare these variables differently: ${conflicts.map((conflict) => conflict.name).join(', ')}`,
    );
  }
  return messages.length
    ? { message: `Invalid session template: ${messages.join('; ')}`, details, reasons: messages }
    : null;
}
