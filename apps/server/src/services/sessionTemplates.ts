import {
  type CreateSessionTemplateInput,
  type SessionTemplate,
  type SessionTemplatePage,
  type TemplateRuleFields,
  templateProblems,
  type UpdateSessionTemplateInput,
} from '@switchboard/contract';
import { type Db, type SessionTemplateRow, sessionTemplates } from '@switchboard/db';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound, staleVersion } from '../errors';
import { lockAgentFacts } from './agents';
import { activeRows, perDatabase, RetryTransaction, writeTransaction } from './db';
import { finder, type ListQuery, lister } from './pagination';

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
  const agents = await lockAgentFacts(tx, organizationId, template.agentIds);
  const problems = templateProblems(template, agents);
  if (problems) throw new AppError('BAD_REQUEST', problems.message, problems.details);
}

export async function createSessionTemplate(
  db: Db,
  organizationId: string,
  input: z.output<typeof CreateSessionTemplateInput>,
): Promise<SessionTemplate> {
  return writeTransaction(db, async (tx) => {
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

/** The fields the rules look at; a change of any other field cannot break a rule. */
const RULE_FIELDS = ['agentIds', 'initialAgentId', 'modalityProfile', 'enabledPanels'] as const;
/** Every other field an update can set. */
const SETTING_FIELDS = ['name', 'description', 'maxDurationSeconds', 'idleTimeoutSeconds'] as const;
type UpdatableField = Exclude<keyof z.output<typeof UpdateSessionTemplateInput>, 'id' | 'version'>;
type Listed = (typeof RULE_FIELDS)[number] | (typeof SETTING_FIELDS)[number];
// Every updatable field is in one of the two lists: a new field that is in neither fails to compile.
const everyFieldListed: Exclude<UpdatableField, Listed> extends never ? true : never = true;
void everyFieldListed;

/**
 * An update of settings only (no rule field): one prepared statement for every combination of
 * fields, each column set when its `set_<field>` flag is true and kept otherwise; conditional on
 * `version` when one is given.
 */
const updateSettings = perDatabase((db) =>
  db
    .update(sessionTemplates)
    .set({
      ...(Object.fromEntries(
        SETTING_FIELDS.map((field) => [
          field,
          sql`case when ${sql.placeholder(`set_${field}`)}::boolean then ${sql.placeholder(field)} else ${sessionTemplates[field]} end`,
        ]),
      ) as Record<(typeof SETTING_FIELDS)[number], SQL>),
      version: sql`${sessionTemplates.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        activeRows(sessionTemplates, sql.placeholder('organizationId'), sql.placeholder('id')),
        sql`(${sql.placeholder('version')}::int is null or ${sessionTemplates.version} = ${sql.placeholder('version')}::int)`,
      ),
    )
    .returning()
    .prepare('session_template_update_settings'),
);

/**
 * Partial update, validated on the template as it would be afterwards. A `version` that is not
 * the current one is refused with 409 and changes nothing; success adds 1 to `version`.
 *
 * A change of no rule field (name, description, durations) is one conditional UPDATE. A change of
 * a rule field locks the agents of the resulting set (`FOR SHARE`), then the template's row
 * (`FOR UPDATE`), the order every write takes them in; when the row changed between the first
 * read and the lock so that another set of agents is concerned, the transaction starts again.
 */
export async function updateSessionTemplate(
  db: Db,
  organizationId: string,
  input: z.output<typeof UpdateSessionTemplateInput>,
): Promise<SessionTemplate> {
  const { id, version, ...changes } = input;
  const write = async (tx: Db) => {
    const [row] = await tx
      .update(sessionTemplates)
      .set({ ...changes, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
      .where(
        and(
          activeRows(sessionTemplates, organizationId, id),
          version === undefined ? undefined : eq(sessionTemplates.version, version),
        ),
      )
      .returning();
    return row;
  };
  const checkVersion = (current: SessionTemplateRow) => {
    if (version !== undefined && version !== current.version) {
      throw staleVersion('Session template', id, current.version, version);
    }
  };

  if (!RULE_FIELDS.some((field) => changes[field] !== undefined)) {
    const values: Record<string, unknown> = { id, organizationId, version: version ?? null };
    for (const field of SETTING_FIELDS) {
      values[`set_${field}`] = changes[field] !== undefined;
      values[field] = changes[field] ?? null;
    }
    const [row] = (await updateSettings(db).execute(values)) as SessionTemplateRow[];
    if (row) return toSessionTemplate(row);
    const current = await findActive(db, organizationId, id);
    if (!current) throw notFound('Session template', id);
    checkVersion(current);
    // Deleted, or changed again, between the two statements: what a client sees is the same.
    throw notFound('Session template', id);
  }

  return writeTransaction(db, async (tx) => {
    const seen = await findActive(tx, organizationId, id);
    if (!seen) throw notFound('Session template', id);
    checkVersion(seen);
    const agentIds = changes.agentIds ?? seen.agentIds;
    const agents = await lockAgentFacts(tx, organizationId, agentIds);
    const [current] = await tx
      .select()
      .from(sessionTemplates)
      .where(activeRows(sessionTemplates, organizationId, id))
      .for('update');
    if (!current) throw notFound('Session template', id);
    checkVersion(current);
    const next = { ...current, ...changes };
    if (!sameIds(next.agentIds, agentIds)) throw new RetryTransaction();
    const problems = templateProblems(next, agents);
    if (problems) throw new AppError('BAD_REQUEST', problems.message, problems.details);
    return toSessionTemplate((await write(tx))!);
  });
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

/** Soft delete (`is_active = false`); a second delete is 404. */
export async function deleteSessionTemplate(db: Db, organizationId: string, id: string): Promise<void> {
  const [row] = await db
    .update(sessionTemplates)
    .set({ isActive: false, version: sql`${sessionTemplates.version} + 1`, updatedAt: sql`now()` })
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
  const source = await findActive(db, organizationId, id);
  if (!source) throw notFound('Session template', id);
  return createSessionTemplate(db, organizationId, {
    name: cloneName(source.name),
    description: source.description,
    agentIds: source.agentIds,
    initialAgentId: source.initialAgentId,
    modalityProfile: source.modalityProfile,
    enabledPanels: source.enabledPanels,
    maxDurationSeconds: source.maxDurationSeconds,
    idleTimeoutSeconds: source.idleTimeoutSeconds,
  });
}
