import {
  type CreateEnvironmentInput,
  ENVIRONMENTS_MAX,
  type Environment,
  type EnvironmentList,
  environmentOf,
  PRODUCTION,
  type UpdateEnvironmentInput,
} from '@switchboard/contract';
import {
  apiKeys,
  type Db,
  deployments,
  type EnvironmentRow,
  environments,
  organizations,
} from '@switchboard/db';
import { and, asc, count, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError } from '../errors';
import { isUniqueViolation, writeTransaction } from './db';
import { type Attribution, recordEvent } from './history';

export function toEnvironment(row: EnvironmentRow): Environment {
  return {
    id: row.id,
    name: row.name,
    followsLatest: row.followsLatest,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** 404 for an environment the organization does not have. */
export const unknownEnvironment = (name: string) =>
  new AppError('NOT_FOUND', `Environment ${name} not found`, { reason: 'unknownEnvironment' });

/**
 * The organization's environment `name`, locked until the transaction ends: `share` while
 * something is deployed to it or a key bound to it (it cannot be deleted or renamed meanwhile),
 * `update` to change it. 404 when there is none.
 */
export async function lockEnvironment(
  tx: Db,
  organizationId: string,
  name: string,
  strength: 'share' | 'update',
): Promise<EnvironmentRow> {
  const [row] = await tx
    .select()
    .from(environments)
    .where(and(eq(environments.organizationId, organizationId), eq(environments.name, name)))
    .for(strength);
  if (!row) throw unknownEnvironment(name);
  return row;
}

/** The organization's environments: production first, then the others by name. */
export async function listEnvironments(db: Db, organizationId: string): Promise<EnvironmentList> {
  const rows = await db
    .select()
    .from(environments)
    .where(eq(environments.organizationId, organizationId))
    .orderBy(sql`${environments.name} <> ${PRODUCTION}`, asc(environments.name));
  return { items: rows.map(toEnvironment) };
}

const nameTaken = (name: string) =>
  new AppError('CONFLICT', `An environment named ${name} exists already`, {
    reason: 'nameTaken',
    issues: [{ path: ['name'], message: `${name} exists already` }],
  });

const resource = (row: EnvironmentRow) => ({ type: 'environment' as const, id: row.id, name: row.name });

/** A new environment; the 11th, or a name the organization has, is 409. */
export async function createEnvironment(
  db: Db,
  by: Attribution,
  input: z.output<typeof CreateEnvironmentInput>,
): Promise<Environment> {
  return writeTransaction(db, async (tx) => {
    // Creations in one organization take turns, so the count below is the count at commit.
    await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.id, by.organizationId))
      .for('update');
    const [existing] = await tx
      .select({ count: count() })
      .from(environments)
      .where(eq(environments.organizationId, by.organizationId));
    if (existing!.count >= ENVIRONMENTS_MAX) {
      throw new AppError(
        'CONFLICT',
        `An organization has at most ${ENVIRONMENTS_MAX} environments; delete one first`,
        { reason: 'tooMany', max: ENVIRONMENTS_MAX },
      );
    }
    const [row] = await tx
      .insert(environments)
      .values({ organizationId: by.organizationId, name: input.name, followsLatest: input.followsLatest })
      .onConflictDoNothing()
      .returning();
    if (!row) throw nameTaken(input.name);
    await recordEvent(tx, by, 'environment.created', resource(row));
    return toEnvironment(row);
  });
}

/**
 * Renames an environment or switches `followsLatest`. Switching it on drops its deployments (it
 * serves the current version of everything from then on); switching it off deploys the current
 * session of every active template as its stable release, so what it serves does not change at
 * the switch. Production cannot be renamed.
 */
export async function updateEnvironment(
  db: Db,
  by: Attribution,
  input: z.output<typeof UpdateEnvironmentInput>,
): Promise<Environment> {
  return writeTransaction(db, async (tx) => {
    // Without `environment` (over tRPC), `name` is the environment to change, not a new name.
    const renameTo = input.environment === undefined ? undefined : input.name;
    const current = await lockEnvironment(tx, by.organizationId, environmentOf(input), 'update');
    const name = renameTo ?? current.name;
    if (current.name === PRODUCTION && name !== PRODUCTION) {
      throw new AppError('CONFLICT', 'Production cannot be renamed', {
        reason: 'production',
        issues: [{ path: ['name'], message: 'Production cannot be renamed' }],
      });
    }
    const followsLatest = input.followsLatest ?? current.followsLatest;
    if (name === current.name && followsLatest === current.followsLatest) return toEnvironment(current);
    let row: EnvironmentRow;
    try {
      [row] = (await tx
        .update(environments)
        .set({ name, followsLatest, updatedAt: sql`now()` })
        .where(eq(environments.id, current.id))
        .returning()) as [EnvironmentRow];
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(name);
      throw error;
    }
    if (followsLatest && !current.followsLatest) {
      await tx.delete(deployments).where(eq(deployments.environmentId, current.id));
    } else if (!followsLatest && current.followsLatest) {
      await pinCurrentSessions(tx, by, current.id);
    }
    await recordEvent(tx, by, 'environment.updated', resource(row));
    return toEnvironment(row);
  });
}

/**
 * Deploys the current session of every active template (its version with its agents' current
 * versions) as the stable release of `environmentId`, in one statement. The templates are locked
 * `FOR SHARE` first, so none is deleted while its deployment is written.
 */
async function pinCurrentSessions(tx: Db, by: Attribution, environmentId: string): Promise<void> {
  const { actor } = by;
  await tx.execute(sql`
    with template as (
      select id, organization_id, version, agent_ids from session_templates
      where organization_id = ${by.organizationId} and is_active
      for share
    )
    insert into ${deployments} (environment_id, template_id, organization_id, stable_template_version,
      stable_agent_versions, deployed_by_type, deployed_by_id, deployed_by_name, note)
    select ${environmentId}::uuid, t.id, t.organization_id, t.version,
      coalesce((select jsonb_object_agg(a.id, a.version) from agents a
                where a.organization_id = t.organization_id and a.id = any(t.agent_ids)), '{}'::jsonb),
      ${actor.type}::text, ${actor.id}::uuid, ${actor.name}::text,
      'Pinned when the environment stopped following latest'
    from template t`);
}

/**
 * Deletes an environment and its deployments. Production cannot be deleted, nor an environment
 * that an unrevoked, unexpired key is bound to (409 naming the keys: revoke them first).
 */
export async function deleteEnvironment(db: Db, by: Attribution, name: string): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const current = await lockEnvironment(tx, by.organizationId, name, 'update');
    if (current.name === PRODUCTION) {
      throw new AppError('CONFLICT', 'Production cannot be deleted', { reason: 'production' });
    }
    const keys = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.environmentId, current.id),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
        ),
      );
    if (keys.length) {
      throw new AppError('CONFLICT', `API keys are bound to ${name}; revoke them before deleting it`, {
        reason: 'boundKeys',
        apiKeyIds: keys.map((key) => key.id),
      });
    }
    await tx.delete(environments).where(eq(environments.id, current.id));
    await recordEvent(tx, by, 'environment.deleted', resource(current));
  });
}
