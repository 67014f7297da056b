import type { Agent, AgentPage, CreateAgentInput, UpdateAgentInput } from '@switchboard/contract';
import { type AgentRow, agents, type Db, sessionTemplates } from '@switchboard/db';
import { and, desc, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound } from '../errors';
import { activeRows, lockOrganization } from './db';
import { finder, type ListQuery, lister } from './pagination';
import { type AgentFacts, templateProblems } from './templateRules';

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
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The active agents of the organization among `ids`, with what the template rules need. */
export async function findAgentFacts(
  db: Db,
  organizationId: string,
  ids: readonly string[],
): Promise<Map<string, AgentFacts>> {
  if (!ids.length) return new Map();
  const rows = await db
    .select({ id: agents.id, modality: agents.modality, panels: agents.panels })
    .from(agents)
    .where(and(activeRows(agents, organizationId), inArray(agents.id, [...ids])));
  return new Map(rows.map((row) => [row.id, row]));
}

async function checkHandoffTargets(db: Db, organizationId: string, targets: string[], selfId?: string) {
  const found = await findAgentFacts(db, organizationId, targets);
  const invalidAgentIds = targets.filter((id) => id === selfId || !found.has(id));
  if (invalidAgentIds.length) {
    throw new AppError(
      'BAD_REQUEST',
      `handoffTargets must be other active agents of this organization; invalid: ${invalidAgentIds.join(', ')}`,
      { invalidAgentIds },
    );
  }
}

export async function createAgent(db: Db, organizationId: string, input: z.output<typeof CreateAgentInput>) {
  return db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    await checkHandoffTargets(tx, organizationId, input.handoffTargets);
    const [row] = await tx
      .insert(agents)
      .values({ ...input, organizationId })
      .returning();
    return toAgent(row!);
  });
}

const findActive = finder<AgentRow>(agents, 'agent');
const listRows = lister<AgentRow>(agents, 'agents');

export async function getAgent(db: Db, organizationId: string, id: string): Promise<Agent> {
  const row = await findActive(db, organizationId, id);
  if (!row) throw notFound('Agent', id);
  return toAgent(row);
}

export function listAgents(db: Db, organizationId: string, query: ListQuery): Promise<AgentPage> {
  return listRows(db, organizationId, query, toAgent);
}

/** The active templates listing the agent, with their rule fields. */
function templatesListing(db: Db, organizationId: string, agentId: string) {
  return db
    .select({
      id: sessionTemplates.id,
      agentIds: sessionTemplates.agentIds,
      initialAgentId: sessionTemplates.initialAgentId,
      modalityProfile: sessionTemplates.modalityProfile,
      enabledPanels: sessionTemplates.enabledPanels,
    })
    .from(sessionTemplates)
    .where(
      and(
        activeRows(sessionTemplates, organizationId),
        sql`${agentId}::uuid = any(${sessionTemplates.agentIds})`,
      ),
    )
    .orderBy(desc(sessionTemplates.createdAt), desc(sessionTemplates.id));
}

/**
 * Partial update. A change of modality or panels that would break an active template listing the
 * agent is refused with 409 and `details.templateIds`, so every active template stays valid.
 */
export async function updateAgent(db: Db, organizationId: string, input: z.output<typeof UpdateAgentInput>) {
  const { id, ...changes } = input;
  return db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const [current] = await tx
      .select()
      .from(agents)
      .where(activeRows(agents, organizationId, id))
      .limit(1);
    if (!current) throw notFound('Agent', id);
    if (changes.handoffTargets) await checkHandoffTargets(tx, organizationId, changes.handoffTargets, id);

    if (changes.modality !== undefined || changes.panels !== undefined) {
      const next: AgentFacts = {
        id,
        modality: changes.modality ?? current.modality,
        panels: changes.panels ?? current.panels,
      };
      const templates = await templatesListing(tx, organizationId, id);
      if (templates.length) {
        const facts = await findAgentFacts(tx, organizationId, [
          ...new Set(templates.flatMap((template) => template.agentIds)),
        ]);
        facts.set(id, next);
        const templateIds = templates
          .filter((template) => templateProblems(template, facts) !== null)
          .map((template) => template.id);
        if (templateIds.length) {
          throw new AppError(
            'CONFLICT',
            `This change would break active session templates that list the agent: ${templateIds.join(', ')}`,
            { templateIds },
          );
        }
      }
    }
    const [row] = await tx
      .update(agents)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(activeRows(agents, organizationId, id))
      .returning();
    return toAgent(row!);
  });
}

/** Soft delete; refused with 409 and `details.templateIds` while an active template lists the agent. */
export async function deleteAgent(db: Db, organizationId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const [current] = await tx
      .select({ id: agents.id })
      .from(agents)
      .where(activeRows(agents, organizationId, id))
      .limit(1);
    if (!current) throw notFound('Agent', id);
    const templateIds = (await templatesListing(tx, organizationId, id)).map((template) => template.id);
    if (templateIds.length) {
      throw new AppError(
        'CONFLICT',
        `Agent ${id} is used by active session templates: ${templateIds.join(', ')}`,
        { templateIds },
      );
    }
    await tx
      .update(agents)
      .set({ isActive: false, updatedAt: sql`now()` })
      .where(activeRows(agents, organizationId, id));
  });
}
