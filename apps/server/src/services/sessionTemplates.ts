import type {
  CreateSessionTemplateInput,
  SessionTemplate,
  SessionTemplatePage,
  UpdateSessionTemplateInput,
} from '@switchboard/contract';
import { type Db, type SessionTemplateRow, sessionTemplates } from '@switchboard/db';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound } from '../errors';
import { findAgentFacts } from './agents';
import { activeRows, lockOrganization } from './db';
import { finder, type ListQuery, lister } from './pagination';
import { type TemplateRuleFields, templateProblems } from './templateRules';

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

/** Checks every rule with one fetch of the referenced agents; 400 naming every offender. */
async function validate(tx: Db, organizationId: string, template: TemplateRuleFields): Promise<void> {
  const agents = await findAgentFacts(tx, organizationId, template.agentIds);
  const problems = templateProblems(template, agents);
  if (problems) throw new AppError('BAD_REQUEST', problems.message, problems.details);
}

export async function createSessionTemplate(
  db: Db,
  organizationId: string,
  input: z.output<typeof CreateSessionTemplateInput>,
): Promise<SessionTemplate> {
  return db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    await validate(tx, organizationId, input);
    const [row] = await tx
      .insert(sessionTemplates)
      .values({ ...input, organizationId })
      .returning();
    return toSessionTemplate(row!);
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

export function listSessionTemplates(
  db: Db,
  organizationId: string,
  query: ListQuery,
): Promise<SessionTemplatePage> {
  return listTemplates(db, organizationId, query, toSessionTemplate);
}

/**
 * Partial update, validated on the template as it would be afterwards. A `version` that is not
 * the current one is refused with 409 and changes nothing; success adds 1 to `version`.
 */
export async function updateSessionTemplate(
  db: Db,
  organizationId: string,
  input: z.output<typeof UpdateSessionTemplateInput>,
): Promise<SessionTemplate> {
  const { id, version, ...changes } = input;
  return db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const [current] = await tx
      .select()
      .from(sessionTemplates)
      .where(activeRows(sessionTemplates, organizationId, id))
      .limit(1);
    if (!current) throw notFound('Session template', id);
    if (version !== undefined && version !== current.version) {
      throw new AppError(
        'CONFLICT',
        `Session template ${id} is at version ${current.version}, not ${version}; reload it and retry`,
        { currentVersion: current.version },
      );
    }
    await validate(tx, organizationId, { ...current, ...changes });
    const [row] = await tx
      .update(sessionTemplates)
      .set({ ...changes, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
      .where(activeRows(sessionTemplates, organizationId, id))
      .returning();
    return toSessionTemplate(row!);
  });
}

/** Soft delete (`is_active = false`); a second delete is 404. */
export async function deleteSessionTemplate(db: Db, organizationId: string, id: string): Promise<void> {
  const [row] = await db
    .update(sessionTemplates)
    .set({ isActive: false, updatedAt: sql`now()` })
    .where(activeRows(sessionTemplates, organizationId, id))
    .returning({ id: sessionTemplates.id });
  if (!row) throw notFound('Session template', id);
}

/** A new template with every setting of the source, named "<name> (Copy)", validated like a create. */
export async function cloneSessionTemplate(
  db: Db,
  organizationId: string,
  id: string,
): Promise<SessionTemplate> {
  return db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const [source] = await tx
      .select()
      .from(sessionTemplates)
      .where(activeRows(sessionTemplates, organizationId, id))
      .limit(1);
    if (!source) throw notFound('Session template', id);
    await validate(tx, organizationId, source);
    const [row] = await tx
      .insert(sessionTemplates)
      .values({
        organizationId,
        name: cloneName(source.name),
        description: source.description,
        agentIds: source.agentIds,
        initialAgentId: source.initialAgentId,
        modalityProfile: source.modalityProfile,
        enabledPanels: source.enabledPanels,
        maxDurationSeconds: source.maxDurationSeconds,
        idleTimeoutSeconds: source.idleTimeoutSeconds,
      })
      .returning();
    return toSessionTemplate(row!);
  });
}
