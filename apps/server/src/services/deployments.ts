import {
  type Agent,
  type CanaryRelease,
  type DeployInput,
  type Deployment,
  type DeploymentInput,
  type DeploymentListInput,
  type DeploymentPage,
  environmentOf,
  type PromoteInput,
  type PromotionChange,
  type PromotionPlan,
  type Release,
  type SessionTemplate,
} from '@switchboard/contract';
import {
  agents,
  type Db,
  type DeploymentRow,
  deployments,
  type EnvironmentRow,
  environments,
  revisions,
  sessionTemplates,
} from '@switchboard/db';
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound, staleVersion } from '../errors';
import { activeRows, RetryTransaction, writeTransaction } from './db';
import { lockEnvironment, unknownEnvironment } from './environments';
import { type Attribution, changedFields, recordEvent } from './history';
import { decodeCursor, encodeCursor } from './pagination';

/** Who calls, for the rule that a key bound to an environment deploys only to it. */
export interface Deployer extends Attribution {
  /** The environment (id) the calling key is bound to; null for a user or an unbound key. */
  boundTo: string | null;
}

type DeploymentAction =
  | 'deployment.deployed'
  | 'deployment.promoted'
  | 'deployment.canaryPromoted'
  | 'deployment.canaryAborted'
  | 'deployment.undeployed';

const stableOf = (row: DeploymentRow): Release => ({
  templateVersion: row.stableTemplateVersion,
  agentVersions: row.stableAgentVersions,
});

const canaryOf = (row: DeploymentRow): CanaryRelease | null =>
  row.canaryPercent === null || row.canaryTemplateVersion === null || row.canaryAgentVersions === null
    ? null
    : {
        templateVersion: row.canaryTemplateVersion,
        agentVersions: row.canaryAgentVersions,
        percent: row.canaryPercent,
      };

function toDeployment(row: DeploymentRow, environment: string, templateName: string): Deployment {
  return {
    environment,
    templateId: row.templateId,
    templateName,
    version: row.version,
    stable: stableOf(row),
    canary: canaryOf(row),
    deployedBy: { type: row.deployedByType, id: row.deployedById, name: row.deployedByName },
    deployedAt: row.deployedAt.toISOString(),
    note: row.note,
  };
}

/** The same release (template version and every agent version)? */
function sameRelease(a: Release, b: Release): boolean {
  const keys = Object.keys(a.agentVersions);
  return (
    a.templateVersion === b.templateVersion &&
    keys.length === Object.keys(b.agentVersions).length &&
    keys.every((id) => a.agentVersions[id] === b.agentVersions[id])
  );
}

/**
 * The environment a deployment call acts on, locked `FOR SHARE`: 404 when unknown, 403 for a key
 * bound to another environment, 409 when it follows latest (it serves the current version of
 * everything; nothing is deployed to it).
 */
async function deployableEnvironment(tx: Db, by: Deployer, name: string): Promise<EnvironmentRow> {
  const environment = await lockEnvironment(tx, by.organizationId, name, 'share');
  if (by.boundTo !== null && environment.id !== by.boundTo) {
    throw new AppError(
      'FORBIDDEN',
      `This API key is bound to another environment; it cannot deploy to ${name}`,
    );
  }
  if (environment.followsLatest) {
    throw new AppError(
      'CONFLICT',
      `${name} follows latest: it serves the current version of every template; switch followsLatest off to deploy to it`,
      { reason: 'followsLatest' },
    );
  }
  return environment;
}

/** The active template, locked `FOR SHARE` (it cannot be deleted while it is deployed); 404 when none. */
async function lockActiveTemplate(tx: Db, organizationId: string, id: string) {
  const [row] = await tx
    .select({
      id: sessionTemplates.id,
      name: sessionTemplates.name,
      version: sessionTemplates.version,
      agentIds: sessionTemplates.agentIds,
    })
    .from(sessionTemplates)
    .where(activeRows(sessionTemplates, organizationId, id))
    .for('share');
  if (!row) throw notFound('Session template', id);
  return row;
}

/** The version of each of `ids` as it stands now. */
async function currentAgentVersions(
  tx: Db,
  organizationId: string,
  ids: string[],
): Promise<Record<string, number>> {
  const rows = await tx
    .select({ id: agents.id, version: agents.version })
    .from(agents)
    .where(and(eq(agents.organizationId, organizationId), inArray(agents.id, ids)));
  return Object.fromEntries(rows.map((row) => [row.id, row.version]));
}

/**
 * The release a deploy names: without `templateVersion` the session as it stands now (the
 * template's current version with each agent's current version); with it, that revision with the
 * agent versions it pinned (a `deleted` revision is 400, one that never existed 404).
 */
async function releaseToDeploy(
  tx: Db,
  organizationId: string,
  template: { id: string; version: number; agentIds: string[] },
  templateVersion: number | undefined,
): Promise<Release> {
  if (templateVersion === undefined) {
    return {
      templateVersion: template.version,
      agentVersions: await currentAgentVersions(tx, organizationId, template.agentIds),
    };
  }
  const [revision] = await tx
    .select({ action: revisions.action, agentVersions: revisions.agentVersions })
    .from(revisions)
    .where(
      and(
        eq(revisions.resourceId, template.id),
        eq(revisions.version, templateVersion),
        eq(revisions.organizationId, organizationId),
        eq(revisions.resourceType, 'sessionTemplate'),
      ),
    );
  if (!revision) {
    throw new AppError('NOT_FOUND', `Session template ${template.id} has no revision ${templateVersion}`);
  }
  if (revision.action === 'deleted') {
    throw new AppError(
      'BAD_REQUEST',
      `Revision ${templateVersion} is the template's deletion; deploy another`,
      {
        issues: [{ path: ['templateVersion'], message: 'A deleted revision cannot be deployed' }],
      },
    );
  }
  return { templateVersion, agentVersions: (revision.agentVersions ?? {}) as Record<string, number> };
}

async function lockDeployment(tx: Db, environmentId: string, templateId: string) {
  const [row] = await tx
    .select()
    .from(deployments)
    .where(and(eq(deployments.environmentId, environmentId), eq(deployments.templateId, templateId)))
    .for('update');
  return row ?? null;
}

const notDeployed = (environment: string, templateId: string) =>
  new AppError('NOT_FOUND', `Session template ${templateId} is not deployed to ${environment}`, {
    reason: 'notDeployed',
  });

function deployedBy(by: Attribution) {
  return {
    deployedByType: by.actor.type,
    deployedById: by.actor.id,
    deployedByName: by.actor.name,
    deployedAt: sql`now()`,
  };
}

async function audit(
  tx: Db,
  by: Attribution,
  action: DeploymentAction,
  environment: string,
  template: { id: string; name: string },
  version: number,
) {
  await recordEvent(
    tx,
    by,
    action,
    { type: 'deployment', id: template.id, name: `${environment}/${template.name}` },
    version,
  );
}

/** Writes `release` as the stable (no canary), creating the deployment when there is none. */
async function writeStable(
  tx: Db,
  by: Attribution,
  environmentId: string,
  templateId: string,
  existing: DeploymentRow | null,
  release: Release,
  note: string | null,
): Promise<DeploymentRow> {
  const values = {
    stableTemplateVersion: release.templateVersion,
    stableAgentVersions: release.agentVersions,
    canaryTemplateVersion: null,
    canaryAgentVersions: null,
    canaryPercent: null,
    note,
    ...deployedBy(by),
  };
  if (existing) {
    const [row] = await tx
      .update(deployments)
      .set({ ...values, version: sql`${deployments.version} + 1` })
      .where(and(eq(deployments.environmentId, environmentId), eq(deployments.templateId, templateId)))
      .returning();
    return row!;
  }
  const [row] = await tx
    .insert(deployments)
    .values({ environmentId, templateId, organizationId: by.organizationId, ...values })
    .onConflictDoNothing()
    .returning();
  // Another deploy created it first: run again, now as a change of that deployment.
  if (!row) throw new RetryTransaction();
  return row;
}

/** Deploys a release to an environment, as its stable or, with `canaryPercent`, as its canary. */
export async function deploy(db: Db, by: Deployer, input: z.output<typeof DeployInput>): Promise<Deployment> {
  return writeTransaction(db, async (tx) => {
    const environment = await deployableEnvironment(tx, by, environmentOf(input));
    const template = await lockActiveTemplate(tx, by.organizationId, input.templateId);
    const release = await releaseToDeploy(tx, by.organizationId, template, input.templateVersion);
    const existing = await lockDeployment(tx, environment.id, template.id);
    if (input.version !== undefined && input.version !== (existing?.version ?? 0)) {
      throw staleVersion('Deployment', template.id, existing?.version ?? 0, input.version);
    }
    let row: DeploymentRow;
    if (input.canaryPercent !== undefined) {
      if (!existing) {
        throw new AppError(
          'CONFLICT',
          `Session template ${template.id} has no stable release in ${environment.name}; deploy one before a canary`,
          { reason: 'noStable' },
        );
      }
      [row] = (await tx
        .update(deployments)
        .set({
          canaryTemplateVersion: release.templateVersion,
          canaryAgentVersions: release.agentVersions,
          canaryPercent: input.canaryPercent,
          note: input.note ?? null,
          version: sql`${deployments.version} + 1`,
          ...deployedBy(by),
        })
        .where(and(eq(deployments.environmentId, environment.id), eq(deployments.templateId, template.id)))
        .returning()) as [DeploymentRow];
    } else {
      row = await writeStable(tx, by, environment.id, template.id, existing, release, input.note ?? null);
    }
    await audit(tx, by, 'deployment.deployed', environment.name, template, row.version);
    return toDeployment(row, environment.name, template.name);
  });
}

/** Ends a canary: promoted (it becomes the stable) or aborted (the stable serves everyone); 409 when none. */
export async function endCanary(
  db: Db,
  by: Deployer,
  input: z.output<typeof DeploymentInput>,
  outcome: 'promote' | 'abort',
): Promise<Deployment> {
  return writeTransaction(db, async (tx) => {
    const environment = await deployableEnvironment(tx, by, environmentOf(input));
    const template = await lockActiveTemplate(tx, by.organizationId, input.templateId);
    const existing = await lockDeployment(tx, environment.id, template.id);
    if (!existing) throw notDeployed(environment.name, template.id);
    const canary = canaryOf(existing);
    if (!canary) {
      throw new AppError('CONFLICT', `${environment.name}/${template.name} has no canary`, {
        reason: 'noCanary',
      });
    }
    const [row] = (await tx
      .update(deployments)
      .set({
        ...(outcome === 'promote'
          ? { stableTemplateVersion: canary.templateVersion, stableAgentVersions: canary.agentVersions }
          : {}),
        canaryTemplateVersion: null,
        canaryAgentVersions: null,
        canaryPercent: null,
        note: null,
        version: sql`${deployments.version} + 1`,
        ...deployedBy(by),
      })
      .where(and(eq(deployments.environmentId, environment.id), eq(deployments.templateId, template.id)))
      .returning()) as [DeploymentRow];
    const action = outcome === 'promote' ? 'deployment.canaryPromoted' : 'deployment.canaryAborted';
    await audit(tx, by, action, environment.name, template, row.version);
    return toDeployment(row, environment.name, template.name);
  });
}

/** Removes a template's deployment from an environment (which then answers 404 `notDeployed` for it). */
export async function undeploy(db: Db, by: Deployer, input: z.output<typeof DeploymentInput>): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const environment = await deployableEnvironment(tx, by, environmentOf(input));
    const [row] = await tx
      .delete(deployments)
      .where(
        and(
          eq(deployments.environmentId, environment.id),
          eq(deployments.templateId, input.templateId),
          eq(deployments.organizationId, by.organizationId),
        ),
      )
      .returning();
    if (!row) throw notDeployed(environment.name, input.templateId);
    const [template] = await tx
      .select({ id: sessionTemplates.id, name: sessionTemplates.name })
      .from(sessionTemplates)
      .where(eq(sessionTemplates.id, row.templateId));
    await audit(tx, by, 'deployment.undeployed', environment.name, template!, row.version);
  });
}

/** A page of an environment's deployments, the most recently changed first. */
export async function listDeployments(
  db: Db,
  organizationId: string,
  query: z.output<typeof DeploymentListInput>,
): Promise<DeploymentPage> {
  const [environment] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.organizationId, organizationId), eq(environments.name, environmentOf(query))));
  if (!environment) throw unknownEnvironment(environmentOf(query));
  // The keyset is (deployed_at, template_id): a time and an id, as every list's cursor.
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const after = cursor && { deployedAt: cursor.createdAt, templateId: cursor.id };
  const rows = await db
    .select({ deployment: deployments, templateName: sessionTemplates.name })
    .from(deployments)
    .innerJoin(sessionTemplates, eq(sessionTemplates.id, deployments.templateId))
    .where(
      and(
        eq(deployments.environmentId, environment.id),
        query.templateId === undefined ? undefined : eq(deployments.templateId, query.templateId),
        after === undefined
          ? undefined
          : or(
              sql`${deployments.deployedAt} < ${after.deployedAt}::timestamptz`,
              and(
                sql`${deployments.deployedAt} = ${after.deployedAt}::timestamptz`,
                sql`${deployments.templateId} < ${after.templateId}::uuid`,
              ),
            ),
      ),
    )
    .orderBy(sql`${deployments.deployedAt} desc`, sql`${deployments.templateId} desc`)
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => toDeployment(row.deployment, environment.name, row.templateName)),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ createdAt: last.deployment.deployedAt, id: last.deployment.templateId })
        : null,
  };
}

/** The snapshots of the revisions named, by `<id>@<version>`, in one query. */
async function snapshots(
  tx: Db,
  organizationId: string,
  wanted: { id: string; version: number }[],
): Promise<Map<string, unknown>> {
  if (!wanted.length) return new Map();
  const rows = await tx
    .select({ id: revisions.resourceId, version: revisions.version, snapshot: revisions.snapshot })
    .from(revisions)
    .where(
      and(
        eq(revisions.organizationId, organizationId),
        sql`(${revisions.resourceId}, ${revisions.version}) in (
          select (value ->> 'id')::uuid, (value ->> 'version')::int
          from jsonb_array_elements(${JSON.stringify(wanted)}::jsonb))`,
      ),
    );
  return new Map(rows.map((row) => [`${row.id}@${row.version}`, row.snapshot]));
}

/** An agent revision written before variables existed has none. */
export const withVariables = (agent: Agent): Agent => ({ ...agent, variables: agent.variables ?? [] });

/** What moving one template from `from` to `to` changes: its settings, and each agent whose version moves. */
async function describeChanges(
  tx: Db,
  organizationId: string,
  items: { templateId: string; templateName: string; from: Release | null; to: Release }[],
): Promise<PromotionChange[]> {
  const wanted: { id: string; version: number }[] = [];
  for (const { templateId, from, to } of items) {
    for (const release of from ? [from, to] : [to]) {
      wanted.push({ id: templateId, version: release.templateVersion });
      for (const [id, version] of Object.entries(release.agentVersions)) wanted.push({ id, version });
    }
  }
  const found = await snapshots(tx, organizationId, wanted);
  const at = <T>(id: string, version: number | undefined) =>
    version === undefined ? undefined : (found.get(`${id}@${version}`) as T | undefined);
  return items.map(({ templateId, templateName, from, to }) => {
    const after = at<SessionTemplate>(templateId, to.templateVersion)!;
    const before = from ? at<SessionTemplate>(templateId, from.templateVersion) : undefined;
    const ids = [...new Set([...Object.keys(from?.agentVersions ?? {}), ...Object.keys(to.agentVersions)])];
    const movedAgents = ids.flatMap((agentId) => {
      const fromVersion = from?.agentVersions[agentId];
      const toVersion = to.agentVersions[agentId];
      if (fromVersion === toVersion) return [];
      const old = at<Agent>(agentId, fromVersion);
      const next = at<Agent>(agentId, toVersion);
      return [
        {
          agentId,
          name: (next ?? old)?.name ?? agentId,
          fromVersion: fromVersion ?? null,
          toVersion: toVersion ?? null,
          fields: old && next ? changedFields('agent', withVariables(old), withVariables(next)) : [],
        },
      ];
    });
    return {
      templateId,
      templateName,
      from,
      to,
      fields: before ? changedFields('sessionTemplate', before, after) : [],
      agents: movedAgents,
    };
  });
}

/**
 * Copies the stable release of every template deployed in `from` (or of the listed ones) to the
 * target environment as its stable, all or nothing: a listed template that `from` does not serve
 * is 409 and nothing changes. From an environment that follows latest, the release is each
 * template's current session. The plan names, template by template and agent by agent, what the
 * target will change; a dry run only plans.
 */
export async function promote(
  db: Db,
  by: Deployer,
  input: z.output<typeof PromoteInput>,
): Promise<PromotionPlan> {
  const run = async (tx: Db): Promise<PromotionPlan> => {
    const target = await deployableEnvironment(tx, by, environmentOf(input));
    const source = await lockEnvironment(tx, by.organizationId, input.from, 'share');
    if (source.id === target.id) {
      throw new AppError('BAD_REQUEST', 'Promote copies from another environment', {
        issues: [{ path: ['from'], message: 'Must be another environment than the target' }],
      });
    }
    const asked = input.templateIds ? [...new Set(input.templateIds)] : undefined;
    // What `from` serves of each template in scope, with the template's current name (locked FOR SHARE).
    const templates = await tx
      .select({
        id: sessionTemplates.id,
        name: sessionTemplates.name,
        version: sessionTemplates.version,
        agentIds: sessionTemplates.agentIds,
      })
      .from(sessionTemplates)
      .where(
        and(
          activeRows(sessionTemplates, by.organizationId),
          asked
            ? inArray(sessionTemplates.id, asked)
            : source.followsLatest
              ? undefined
              : sql`${sessionTemplates.id} in (select template_id from deployments where environment_id = ${source.id})`,
        ),
      )
      .orderBy(asc(sessionTemplates.id))
      .for('share');
    const sourceRows = source.followsLatest
      ? []
      : await tx.select().from(deployments).where(eq(deployments.environmentId, source.id));
    const served = new Map(sourceRows.map((row) => [row.templateId, stableOf(row)]));
    const missing = (asked ?? []).filter(
      (id) => !templates.some((template) => template.id === id) || (!source.followsLatest && !served.has(id)),
    );
    if (missing.length) {
      throw new AppError(
        'CONFLICT',
        `${input.from} does not serve ${missing.length === 1 ? 'template' : 'templates'} ${missing.join(', ')}; nothing was promoted`,
        { reason: 'notDeployed', templateIds: missing },
      );
    }
    const targetRows = await tx
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.environmentId, target.id),
          inArray(
            deployments.templateId,
            templates.map((template) => template.id),
          ),
        ),
      )
      .for('update');
    const existing = new Map(targetRows.map((row) => [row.templateId, row]));
    // From an environment that follows latest: every template's current session, its agents'
    // versions read in one query for all of them.
    const agentVersions = source.followsLatest
      ? await currentAgentVersions(tx, by.organizationId, [...new Set(templates.flatMap((t) => t.agentIds))])
      : {};
    const items: { templateId: string; templateName: string; from: Release | null; to: Release }[] = [];
    for (const template of templates) {
      const to = source.followsLatest
        ? {
            templateVersion: template.version,
            agentVersions: Object.fromEntries(template.agentIds.map((id) => [id, agentVersions[id]!])),
          }
        : served.get(template.id);
      if (!to) continue;
      const current = existing.get(template.id);
      if (current && canaryOf(current) === null && sameRelease(stableOf(current), to)) continue;
      items.push({
        templateId: template.id,
        templateName: template.name,
        from: current ? stableOf(current) : null,
        to,
      });
    }
    const changes = await describeChanges(tx, by.organizationId, items);
    if (!input.dryRun) {
      for (const item of items) {
        const row = await writeStable(
          tx,
          by,
          target.id,
          item.templateId,
          existing.get(item.templateId) ?? null,
          item.to,
          `Promoted from ${source.name}`,
        );
        await audit(
          tx,
          by,
          'deployment.promoted',
          target.name,
          { id: item.templateId, name: item.templateName },
          row.version,
        );
      }
    }
    return { dryRun: input.dryRun, applied: !input.dryRun && items.length > 0, changes };
  };
  return writeTransaction(db, run);
}

/** The manual environments (by name) each of `templateIds` is deployed to: what keeps a template from being deleted. */
export async function deployedTo(
  tx: Db,
  organizationId: string,
  templateIds: string[],
): Promise<Map<string, string[]>> {
  if (!templateIds.length) return new Map();
  const rows = await tx
    .select({ templateId: deployments.templateId, environment: environments.name })
    .from(deployments)
    .innerJoin(environments, eq(environments.id, deployments.environmentId))
    .where(
      and(
        eq(deployments.organizationId, organizationId),
        inArray(deployments.templateId, templateIds),
        eq(environments.followsLatest, false),
      ),
    )
    .orderBy(asc(environments.name));
  const found = new Map<string, string[]>();
  for (const row of rows) found.set(row.templateId, [...(found.get(row.templateId) ?? []), row.environment]);
  return found;
}

/** 409 when any of the templates is deployed to an environment that does not follow latest. */
export async function refuseDeletingDeployed(
  tx: Db,
  organizationId: string,
  templateIds: string[],
): Promise<void> {
  const found = await deployedTo(tx, organizationId, templateIds);
  if (!found.size) return;
  const environmentNames = [...new Set([...found.values()].flat())].sort();
  throw new AppError(
    'CONFLICT',
    `Deployed to ${environmentNames.join(', ')}: undeploy ${found.size === 1 ? 'it' : 'them'} there before deleting`,
    { environments: environmentNames, templateIds: [...found.keys()] },
  );
}
