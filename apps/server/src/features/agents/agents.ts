import {
  type Agent,
  type AgentFacts,
  type AgentList,
  type AgentPage,
  type Catalog,
  type CreateAgentInput,
  catalogProblems,
  inOrder,
  type RestoreInput,
  templateProblems,
  type UpdateAgentInput,
  undeclaredVariables,
} from '@switchboard/contract';
import { type AgentRow, agents, type Db, sessionTemplates } from '@switchboard/db';
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { activeRows, isTrue, rowsByIds, writeTransaction } from '../../core/db';
import { AppError, checkVersion, notFound } from '../../core/errors';
import { finder, type ListQuery, lister } from '../../core/pagination';
import { type Attribution, recordRevision, settableFields, snapshotAt } from '../history/history';

/**
 * An agent row as the API answers it: every column under its field name (the table and the
 * contract's `Agent` have the same fields, so a new column is a new field here with no edit),
 * timestamps as ISO strings, variables in the API's field order.
 */
/** An agent as the API answers it: each field named, so a column the API does not show never leaks. */
export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    organizationId: row.organizationId,
    name: row.name,
    instructions: row.instructions,
    model: row.model,
    voice: row.voice,
    handoffTargets: row.handoffTargets,
    tools: row.tools,
    modality: row.modality,
    panels: row.panels,
    variables: row.variables.map(inOrder),
    isActive: row.isActive,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * The active agents of the organization among `ids`, with what the template rules need, locked
 * `FOR SHARE` (in id order, so two writes never wait for each other's locks in a circle) until the
 * transaction ends. An agent change takes `FOR UPDATE` on its row first, so no agent a write relies
 * on can change or be deleted before that write commits; a change that committed first is what
 * this read sees.
 */
export async function lockAgentFacts(
  tx: Db,
  organizationId: string,
  ids: readonly string[],
): Promise<Map<string, AgentFacts>> {
  if (!ids.length) return new Map();
  const rows = await tx
    .select({ id: agents.id, modality: agents.modality, panels: agents.panels, variables: agents.variables })
    .from(agents)
    .where(and(activeRows(agents, organizationId), inArray(agents.id, [...ids])))
    .orderBy(asc(agents.id))
    .for('share');
  return new Map(rows.map((row) => [row.id, row]));
}

/** A new agent's handoff targets must be active agents of the organization; they stay so until commit. */
async function checkHandoffTargets(tx: Db, organizationId: string, targets: string[]) {
  const found = await lockAgentFacts(tx, organizationId, targets);
  const invalidAgentIds = targets.filter((id) => !found.has(id));
  if (invalidAgentIds.length) throw invalidHandoffTargets(invalidAgentIds);
}

function invalidHandoffTargets(invalidAgentIds: string[]) {
  return new AppError(
    'BAD_REQUEST',
    `handoffTargets must be other active agents of this organization; invalid: ${invalidAgentIds.join(', ')}`,
    { invalidAgentIds },
  );
}

/** 400 naming every variable the instructions refer to that the agent does not declare. */
function checkDeclared(agent: { instructions: string; variables: readonly { name: string }[] }) {
  const undeclared = undeclaredVariables(agent.instructions, agent.variables);
  if (undeclared.length) {
    throw new AppError(
      'BAD_REQUEST',
      `The instructions refer to variables the agent does not declare: ${undeclared.join(', ')}`,
      {
        undeclaredVariables: undeclared,
        issues: [{ path: ['instructions'], message: `Undeclared variables: ${undeclared.join(', ')}` }],
      },
    );
  }
}

/** 400 naming each field whose new value the catalog refuses. */
export function checkCatalog(
  catalog: Catalog,
  agent: { model?: string; voice?: string | null },
  current?: { model: string; voice: string | null },
) {
  const issues = catalogProblems(catalog, agent, current);
  if (issues.length) {
    throw new AppError('BAD_REQUEST', `Invalid input: ${issues.map((issue) => issue.message).join('; ')}`, {
      issues,
    });
  }
}

export async function createAgent(
  db: Db,
  by: Attribution,
  input: z.output<typeof CreateAgentInput>,
  catalog: Catalog,
) {
  checkCatalog(catalog, input);
  checkDeclared(input);
  return writeTransaction(db, async (tx) => {
    if (input.handoffTargets.length) await checkHandoffTargets(tx, by.organizationId, input.handoffTargets);
    const [row] = await tx
      .insert(agents)
      .values({ ...input, organizationId: by.organizationId })
      .returning();
    const agent = toAgent(row!);
    await recordRevision(tx, by, 'agent', 'created', null, agent);
    return agent;
  });
}

const findActive = finder<AgentRow>(agents, 'agent');
const listRows = lister<AgentRow>(agents, 'agents');

export async function getAgent(db: Db, organizationId: string, id: string): Promise<Agent> {
  const row = await findActive(db, organizationId, id);
  if (!row) throw notFound('Agent', id);
  return toAgent(row);
}

/** Agents by id (`agents.getMany`): in the order asked, deleted ones included. */
export async function getAgents(db: Db, organizationId: string, ids: string[]): Promise<AgentList> {
  return { items: (await rowsByIds(db, agents, organizationId, ids)).map(toAgent) };
}

export function listAgents(db: Db, organizationId: string, query: ListQuery): Promise<AgentPage> {
  return listRows(db, organizationId, query, toAgent);
}

/** The active templates listing the agent (`agent_ids @> {id}`, served by a GIN index). */
function templatesListing(tx: Db, organizationId: string, agentId: string) {
  return tx
    .select({
      id: sessionTemplates.id,
      name: sessionTemplates.name,
      agentIds: sessionTemplates.agentIds,
      initialAgentId: sessionTemplates.initialAgentId,
      modalityProfile: sessionTemplates.modalityProfile,
      enabledPanels: sessionTemplates.enabledPanels,
    })
    .from(sessionTemplates)
    .where(
      and(
        activeRows(sessionTemplates, organizationId),
        sql`${sessionTemplates.agentIds} @> array[${agentId}::uuid]`,
      ),
    )
    .orderBy(asc(sessionTemplates.id));
}

/** The other active agents that hand off to the agent. */
async function agentsHandingOffTo(tx: Db, organizationId: string, agentId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: agents.id })
    .from(agents)
    .where(and(activeRows(agents, organizationId), sql`${agents.handoffTargets} @> array[${agentId}::uuid]`))
    .orderBy(asc(agents.id));
  return rows.map((row) => row.id);
}

/**
 * The active templates that listing the agent with `next` as its facts would break. The templates
 * are locked `FOR UPDATE` (in id order): two agents of one template changing at once are checked one
 * after the other, each against what the other committed, and no template write can slip between
 * this check and the commit.
 */
async function templatesBrokenBy(
  tx: Db,
  organizationId: string,
  next: AgentFacts,
): Promise<BrokenTemplate[]> {
  const templates = await templatesListing(tx, organizationId, next.id).for('update');
  if (!templates.length) return [];
  const others = [...new Set(templates.flatMap((template) => template.agentIds))].filter(
    (id) => id !== next.id,
  );
  const facts = new Map<string, AgentFacts>();
  if (others.length) {
    const rows = await tx
      .select({
        id: agents.id,
        modality: agents.modality,
        panels: agents.panels,
        variables: agents.variables,
      })
      .from(agents)
      .where(and(activeRows(agents, organizationId), inArray(agents.id, others)));
    for (const row of rows) facts.set(row.id, row);
  }
  facts.set(next.id, next);
  return templates.flatMap((template) => {
    const problems = templateProblems(template, facts);
    return problems
      ? [{ id: template.id, name: template.name, problem: problems.reasons.join('; '), ...problems.details }]
      : [];
  });
}

/**
 * A template an agent change would break: its id and name, what would be wrong in a sentence, and
 * the rule's details (`uncoveredAgentIds`, `unsupportedPanels`, `variableConflicts`), so a client
 * can say which template would get which problem.
 */
type BrokenTemplate = { id: string; name: string; problem: string } & Record<string, unknown>;

/** Writes `values` on the locked row, adds 1 to `version`, and records the revision. */
async function writeLocked(
  tx: Db,
  by: Attribution,
  action: 'updated' | 'deleted' | 'restored',
  current: AgentRow,
  values: Partial<AgentRow>,
): Promise<Agent> {
  const [row] = await tx
    .update(agents)
    .set({ ...values, version: sql`${agents.version} + 1`, updatedAt: sql`now()` })
    .where(eq(agents.id, current.id))
    .returning();
  const agent = toAgent(row!);
  await recordRevision(tx, by, 'agent', action, toAgent(current), agent);
  return agent;
}

/**
 * The agent (active, or any when `restoring`) and `targets` (active only), locked `FOR UPDATE` in id
 * order in one statement: the agent's own row for its change, the targets so that none is deleted
 * meanwhile. Two agents naming each other at once then take their locks in the same order instead
 * of waiting for each other in a circle. 404 when the agent is not there; 400 naming every target
 * that is not another active agent of the organization.
 */
async function lockAgentAndTargets(
  tx: Db,
  organizationId: string,
  id: string,
  targets: readonly string[],
  restoring = false,
): Promise<AgentRow> {
  const locked = await tx
    .select()
    .from(agents)
    .where(
      and(
        eq(agents.organizationId, organizationId),
        inArray(agents.id, [...new Set([id, ...targets])]),
        restoring ? or(eq(agents.id, id), isTrue(agents.isActive)) : isTrue(agents.isActive),
      ),
    )
    .orderBy(asc(agents.id))
    .for('update');
  const current = locked.find((row) => row.id === id);
  if (!current) throw notFound('Agent', id);
  const invalidAgentIds = targets.filter(
    (target) => target === id || !locked.some((row) => row.id === target && row.isActive),
  );
  if (invalidAgentIds.length) throw invalidHandoffTargets(invalidAgentIds);
  return current;
}

/**
 * 409 when giving the agent `next` as its facts would break an active template: `details.templateIds`,
 * and `details.templates` saying what would break in each (`variableConflicts` naming the variables).
 */
async function checkTemplatesKept(tx: Db, organizationId: string, next: AgentFacts) {
  const templates = await templatesBrokenBy(tx, organizationId, next);
  if (templates.length) {
    throw new AppError(
      'CONFLICT',
      `This change would break active session templates that list the agent: ${templates
        .map((template) => `${template.name} (${template.problem})`)
        .join('; ')}`,
      { reason: 'breaksTemplates', templateIds: templates.map((template) => template.id), templates },
    );
  }
}

/**
 * Partial update, recorded as a revision. A change of modality or panels that would break an
 * active template listing the agent is refused with 409 and `details.templateIds`, so every active
 * template stays valid.
 */
export async function updateAgent(
  db: Db,
  by: Attribution,
  input: z.output<typeof UpdateAgentInput>,
  catalog: Catalog,
) {
  const { id, version, ...changes } = input;
  const { organizationId } = by;
  return writeTransaction(db, async (tx) => {
    const current = await lockAgentAndTargets(tx, organizationId, id, changes.handoffTargets ?? []);
    checkVersion('Agent', current, version);
    // A model or voice the agent already holds stays allowed; a new one must be in the catalog.
    checkCatalog(catalog, changes, current);
    if (changes.instructions !== undefined || changes.variables !== undefined) {
      checkDeclared({
        instructions: changes.instructions ?? current.instructions,
        variables: changes.variables ?? current.variables,
      });
    }
    if (changes.modality !== undefined || changes.panels !== undefined || changes.variables !== undefined) {
      await checkTemplatesKept(tx, organizationId, {
        id,
        modality: changes.modality ?? current.modality,
        panels: changes.panels ?? current.panels,
        variables: changes.variables ?? current.variables,
      });
    }
    return writeLocked(tx, by, 'updated', current, changes);
  });
}

/**
 * Soft delete, recorded as a revision; refused with 409 while an active template lists the agent
 * (`details.templateIds`) or another active agent hands off to it (`details.agentIds`). The agent's
 * row is locked first, so a template or agent that starts referring to it meanwhile waits, and then
 * finds it deleted.
 */
export async function deleteAgent(db: Db, by: Attribution, id: string): Promise<void> {
  const { organizationId } = by;
  await writeTransaction(db, async (tx) => {
    const current = await lockAgentAndTargets(tx, organizationId, id, []);
    const templateIds = (await templatesListing(tx, organizationId, id)).map((template) => template.id);
    const agentIds = await agentsHandingOffTo(tx, organizationId, id);
    if (templateIds.length || agentIds.length) {
      const uses = [
        templateIds.length ? `active session templates list it: ${templateIds.join(', ')}` : '',
        agentIds.length ? `active agents hand off to it: ${agentIds.join(', ')}` : '',
      ].filter(Boolean);
      throw new AppError('CONFLICT', `Agent ${id} is in use; ${uses.join('; ')}`, {
        ...(templateIds.length ? { templateIds } : {}),
        ...(agentIds.length ? { agentIds } : {}),
      });
    }
    await writeLocked(tx, by, 'deleted', current, { isActive: false });
  });
}

/**
 * Puts back the configuration of revision `toVersion` as a new version, and makes a deleted agent
 * active again. Checked like an update on the result: its handoff targets must be other active
 * agents (400), and no active template listing it may break (409 `details.templateIds`); a stale
 * `version` is 409.
 */
export async function restoreAgent(db: Db, by: Attribution, input: z.output<typeof RestoreInput>) {
  const { organizationId } = by;
  return writeTransaction(db, async (tx) => {
    const restored = settableFields(
      'agent',
      await snapshotAt(tx, 'agent', organizationId, input.id, input.toVersion),
    );
    // A revision made before variables existed declares none.
    const variables = restored.variables ?? [];
    const current = await lockAgentAndTargets(tx, organizationId, input.id, restored.handoffTargets, true);
    checkVersion('Agent', current, input.version);
    checkDeclared({ instructions: restored.instructions, variables });
    await checkTemplatesKept(tx, organizationId, {
      id: input.id,
      modality: restored.modality,
      panels: restored.panels,
      variables,
    });
    return writeLocked(tx, by, 'restored', current, { ...restored, variables, isActive: true });
  });
}
