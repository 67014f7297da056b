import {
  type CreateEnvironmentInput,
  ENVIRONMENTS_MAX,
  type Environment,
  type EnvironmentList,
  type EnvironmentOrPlan,
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
  sessionTemplates,
} from '@switchboard/db';
import { and, asc, count, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { activeRows, isUniqueViolation, writeTransaction } from '../../core/db';
import { AppError } from '../../core/errors';
import {
  appendSwitchRecords,
  canaryOf,
  currentAgentVersions,
  currentSession,
  planMoves,
  type ReleaseMove,
  releaseColumns,
  sameServed,
  servedBy,
  stableOf,
} from '../deployments/releases';
import { type Attribution, recordEvent } from '../history/history';

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

/** The organization's environments: production first, then the others by name; for a bound key, its own. */
export async function listEnvironments(
  db: Db,
  organizationId: string,
  boundTo: string | null,
): Promise<EnvironmentList> {
  const rows = await db
    .select()
    .from(environments)
    .where(
      and(
        eq(environments.organizationId, organizationId),
        boundTo === null ? undefined : eq(environments.id, boundTo),
      ),
    )
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
 * the switch. Either way every active template gets a release record (`followedLatest` or
 * `pinned`). With `dryRun`, the plan of what every template would serve instead (and the canaries
 * that end), and nothing changes. Production cannot be renamed.
 */
export async function updateEnvironment(
  db: Db,
  by: Attribution,
  input: z.output<typeof UpdateEnvironmentInput>,
): Promise<EnvironmentOrPlan> {
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
    const startsFollowing = followsLatest && !current.followsLatest;
    if (input.dryRun) {
      const { changes, warnings } = startsFollowing
        ? await planFollowingLatest(tx, by.organizationId, current)
        : { changes: [], warnings: [] };
      return { dryRun: true, applied: false, changes, warnings };
    }
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
    if (startsFollowing) {
      await tx.delete(deployments).where(eq(deployments.environmentId, current.id));
      await appendSwitchRecords(tx, by, current.id, 'followedLatest', 'The environment follows latest');
    } else if (!followsLatest && current.followsLatest) {
      await pinCurrentSessions(tx, by, current.id);
    }
    await recordEvent(tx, by, 'environment.updated', resource(row));
    return toEnvironment(row);
  });
}

/**
 * What following latest would change in `environment`: every active template whose served release
 * moves to its current session (a template it does not serve yet starts to be served), and every
 * canary that ends.
 */
async function planFollowingLatest(tx: Db, organizationId: string, environment: EnvironmentRow) {
  const templates = await tx
    .select(releaseColumns)
    .from(sessionTemplates)
    .where(activeRows(sessionTemplates, organizationId))
    .orderBy(asc(sessionTemplates.name), asc(sessionTemplates.id));
  const rows = await tx.select().from(deployments).where(eq(deployments.environmentId, environment.id));
  const deployed = new Map(rows.map((row) => [row.templateId, row]));
  const versions = await currentAgentVersions(tx, organizationId, [
    ...new Set(templates.flatMap((template) => template.agentIds)),
  ]);
  const moves: ReleaseMove[] = [];
  for (const template of templates) {
    const to = currentSession(template, versions);
    const row = deployed.get(template.id);
    if (row && sameServed(servedBy(row), { stable: to, canary: null })) continue;
    moves.push({
      templateId: template.id,
      templateName: template.name,
      from: row ? stableOf(row) : null,
      to,
      endedCanary: row ? canaryOf(row) : null,
    });
  }
  return planMoves(tx, organizationId, environment, moves);
}

/**
 * Deploys the current session of every active template (its version with its agents' current
 * versions) as the stable release of `environmentId`, each as its `pinned` record, in two
 * statements. The templates are locked `FOR SHARE` first, so none is deleted while its deployment
 * is written; each deployment's version is its record's number.
 */
async function pinCurrentSessions(tx: Db, by: Attribution, environmentId: string): Promise<void> {
  await tx.execute(sql`select 1 from session_templates
    where organization_id = ${by.organizationId} and is_active for share`);
  await appendSwitchRecords(tx, by, environmentId, 'pinned', PINNED_NOTE);
  await tx.execute(sql`
    insert into ${deployments} (environment_id, template_id, organization_id, version, stable_template_version,
      stable_agent_versions, deployed_by_type, deployed_by_id, deployed_by_name, deployed_at, note)
    select r.environment_id, r.template_id, r.organization_id, r.number, r.stable_template_version,
      r.stable_agent_versions, r.actor_type, r.actor_id, r.actor_name, r.at, r.note
    from release_records r
    where r.environment_id = ${environmentId}::uuid and r.action = 'pinned'
      and r.number = (select max(number) from release_records m
                      where m.environment_id = r.environment_id and m.template_id = r.template_id)`);
}

const PINNED_NOTE = 'Pinned when the environment stopped following latest';

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
