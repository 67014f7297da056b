import {
  type AgentFacts,
  type CreateSessionTemplateInput,
  type RestoreInput,
  type SessionTemplate,
  type SessionTemplateList,
  type SessionTemplatePage,
  type TemplateRuleFields,
  templateProblems,
  type UpdateSessionTemplateInput,
} from '@switchboard/contract';
import { type Db, type SessionTemplateRow, sessionTemplates } from '@switchboard/db';
import { and, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { activeRows, RetryTransaction, rowsByIds, writeTransaction } from '../../core/db';
import { AppError, checkVersion, notFound } from '../../core/errors';
import { finder, type ListQuery, lister } from '../../core/pagination';
import { lockAgentFacts } from '../agents/agents';
import { refuseDeletingDeployed } from '../deployments/reads';
import { type Attribution, recordRevision, settableFields, snapshotAt } from '../history/history';

export function toSessionTemplate(row: SessionTemplateRow): SessionTemplate {
  return {
    id: row.id,
    organizationId: row.organizationId,
    name: row.name,
    description: row.description,
    agentIds: row.agentIds,
    initialAgentId: row.initialAgentId,
    modalityProfile: row.modalityProfile,
    enabledPanels: row.enabledPanels,
    maxDurationSeconds: row.maxDurationSeconds,
    idleTimeoutSeconds: row.idleTimeoutSeconds,
    isActive: row.isActive,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const NAME_MAX = 255;
const COPY_SUFFIX = ' (Copy)';

/** The source's name + " (Copy)", the source part shortened at its end to fit 255 characters. */
export function cloneName(name: string): string {
  let source = name.slice(0, NAME_MAX - COPY_SUFFIX.length);
  // Never cut a character in half: drop a dangling high surrogate.
  if (/[\uD800-\uDBFF]$/.test(source)) source = source.slice(0, -1);
  return source + COPY_SUFFIX;
}

/**
 * Checks every rule of the template as it would be, with one read of its agents, which stay locked
 * (`FOR SHARE`) until the transaction ends; 400 naming every offender.
 */
async function validate(tx: Db, organizationId: string, template: TemplateRuleFields): Promise<void> {
  checkRules(template, await lockAgentFacts(tx, organizationId, template.agentIds));
}

export async function createSessionTemplate(
  db: Db,
  by: Attribution,
  input: z.output<typeof CreateSessionTemplateInput>,
  action: 'created' | 'cloned' = 'created',
): Promise<SessionTemplate> {
  return writeTransaction(db, async (tx) => {
    await validate(tx, by.organizationId, input);
    const [row] = await tx
      .insert(sessionTemplates)
      .values({ ...input, organizationId: by.organizationId })
      .returning();
    const template = toSessionTemplate(row!);
    await recordRevision(tx, by, 'sessionTemplate', action, null, template);
    return template;
  });
}

const findActive = finder<SessionTemplateRow>(sessionTemplates, 'session_template');
const listTemplates = lister<SessionTemplateRow>(sessionTemplates, 'session_templates');

export async function getSessionTemplate(
  db: Db,
  organizationId: string,
  id: string,
): Promise<SessionTemplate> {
  const row = await findActive(db, organizationId, id);
  if (!row) throw notFound('Session template', id);
  return toSessionTemplate(row);
}

/** Templates by id (`sessionTemplates.getMany`): in the order asked, deleted ones included. */
export async function getSessionTemplates(
  db: Db,
  organizationId: string,
  ids: string[],
): Promise<SessionTemplateList> {
  return { items: (await rowsByIds(db, sessionTemplates, organizationId, ids)).map(toSessionTemplate) };
}

export function listSessionTemplates(
  db: Db,
  organizationId: string,
  query: ListQuery,
): Promise<SessionTemplatePage> {
  return listTemplates(db, organizationId, query, toSessionTemplate);
}

/** The fields the rules look at; a change of any other field cannot break a rule. */
const RULE_FIELDS = ['agentIds', 'initialAgentId', 'modalityProfile', 'enabledPanels'] as const;

/** The template's row (only if active, or in any state), locked `FOR UPDATE` until the transaction ends. */
async function lockTemplate(tx: Db, organizationId: string, id: string, state: 'active' | 'any') {
  const [row] = await tx
    .select()
    .from(sessionTemplates)
    .where(
      state === 'active'
        ? activeRows(sessionTemplates, organizationId, id)
        : and(eq(sessionTemplates.id, id), eq(sessionTemplates.organizationId, organizationId)),
    )
    .for('update');
  return row ?? null;
}

/** Writes `values` on the locked row, adds 1 to `version`, and records the revision. */
async function writeLocked(
  tx: Db,
  by: Attribution,
  action: 'updated' | 'deleted' | 'restored',
  current: SessionTemplateRow,
  values: Partial<SessionTemplateRow>,
): Promise<SessionTemplate> {
  const [row] = await tx
    .update(sessionTemplates)
    .set({ ...values, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
    .where(eq(sessionTemplates.id, current.id))
    .returning();
  const template = toSessionTemplate(row!);
  await recordRevision(tx, by, 'sessionTemplate', action, toSessionTemplate(current), template);
  return template;
}

/**
 * Partial update, validated on the template as it would be afterwards. A `version` that is not
 * the current one is refused with 409 and changes nothing; success adds 1 to `version` and records
 * a revision.
 *
 * A change of a rule field locks the agents of the resulting set (`FOR SHARE`), then the
 * template's row (`FOR UPDATE`), the order every write takes them in; when the row changed between
 * the first read and the lock so that another set of agents is concerned, the transaction starts
 * again. A change of no rule field (name, description, durations) locks only the row.
 */
export async function updateSessionTemplate(
  db: Db,
  by: Attribution,
  input: z.output<typeof UpdateSessionTemplateInput>,
): Promise<SessionTemplate> {
  const { id, version, ...changes } = input;
  const { organizationId } = by;
  const touchesRules = RULE_FIELDS.some((field) => changes[field] !== undefined);
  return writeTransaction(db, async (tx) => {
    if (!touchesRules) {
      const current = await lockTemplate(tx, organizationId, id, 'active');
      if (!current) throw notFound('Session template', id);
      checkVersion('Session template', current, version);
      return writeLocked(tx, by, 'updated', current, changes);
    }
    const seen = await findActive(tx, organizationId, id);
    if (!seen) throw notFound('Session template', id);
    checkVersion('Session template', seen, version);
    const agentIds = changes.agentIds ?? seen.agentIds;
    const agents = await lockAgentFacts(tx, organizationId, agentIds);
    const current = await lockTemplate(tx, organizationId, id, 'active');
    if (!current) throw notFound('Session template', id);
    checkVersion('Session template', current, version);
    const next = { ...current, ...changes };
    if (!sameIds(next.agentIds, agentIds)) throw new RetryTransaction();
    checkRules(next, agents);
    return writeLocked(tx, by, 'updated', current, changes);
  });
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

function checkRules(template: TemplateRuleFields, agents: Map<string, AgentFacts>) {
  const problems = templateProblems(template, agents);
  if (problems) throw new AppError('BAD_REQUEST', problems.message, problems.details);
}

/** Soft delete (`is_active = false`), recorded as a revision; a second delete is 404. */
export async function deleteSessionTemplate(db: Db, by: Attribution, id: string): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const current = await lockTemplate(tx, by.organizationId, id, 'active');
    if (!current) throw notFound('Session template', id);
    // Deploys lock the template FOR SHARE, so none can start between this check and the delete.
    await refuseDeletingDeployed(tx, by.organizationId, [id]);
    await writeLocked(tx, by, 'deleted', current, { isActive: false });
  });
}

/** A new template with every setting of the source, named "<name> (Copy)", validated like a create. */
export async function cloneSessionTemplate(db: Db, by: Attribution, id: string): Promise<SessionTemplate> {
  const source = await findActive(db, by.organizationId, id);
  if (!source) throw notFound('Session template', id);
  return createSessionTemplate(
    db,
    by,
    { ...settableFields('sessionTemplate', toSessionTemplate(source)), name: cloneName(source.name) },
    'cloned',
  );
}

/**
 * Puts back the configuration of revision `toVersion` as a new version, and makes a deleted
 * template active again. Checked like an update on the result: 400 naming every offender when the
 * old settings no longer fit today's agents; a stale `version` is 409.
 */
export async function restoreSessionTemplate(
  db: Db,
  by: Attribution,
  input: z.output<typeof RestoreInput>,
): Promise<SessionTemplate> {
  const { organizationId } = by;
  return writeTransaction(db, async (tx) => {
    const restored = settableFields(
      'sessionTemplate',
      await snapshotAt(tx, 'sessionTemplate', organizationId, input.id, input.toVersion),
    );
    // The revision fixes the agent set, so its agents are locked before the row, as on every write.
    const agents = await lockAgentFacts(tx, organizationId, restored.agentIds);
    const current = (await lockTemplate(tx, organizationId, input.id, 'any'))!;
    checkVersion('Session template', current, input.version);
    checkRules(restored, agents);
    return writeLocked(tx, by, 'restored', current, { ...restored, isActive: true });
  });
}
