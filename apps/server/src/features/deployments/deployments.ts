// Longer than 450 lines: every change of a deployment (deploy, ramp, rollback, end a canary, undeploy) goes through the locking and commit steps defined here; promotion (promotion.ts), reads (deploymentReads.ts) and the guard's verdict (outcomes/guardWatcher.ts) live apart.
import {
  type DeployInput,
  type Deployment,
  type DeploymentChangeOrPlan,
  type DeploymentInput,
  environmentOf,
  type RampCanaryInput,
  type Release,
  type RollbackInput,
  rollbackTarget,
  type ServedRelease,
  sameRelease,
} from '@switchboard/contract';
import {
  type Db,
  type DeploymentRow,
  deployments,
  type EnvironmentRow,
  environments,
  revisions,
  type StoredGuard,
  sessionTemplates,
} from '@switchboard/db';
import { and, eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { Actor } from '../../core/actor';
import { activeRows, RetryTransaction, writeTransaction } from '../../core/db';
import { AppError, notFound, staleVersion } from '../../core/errors';
import { lockEnvironment, unknownEnvironment } from '../environments/environments';
import { type Attribution, recordEvent } from '../history/history';
import { startGuard } from '../outcomes/guard';
import {
  appendRecord,
  canaryOf,
  currentAgentVersions,
  planMoves,
  type ReleaseMove,
  recordServes,
  recordsOf,
  releaseColumns,
  sameServed,
  servedBy,
  servedColumns,
  stableOf,
} from './releases';

/** Who calls, for the rule that a key bound to an environment deploys only to it. */
export interface Deployer extends Attribution {
  /** The environment (id) the calling key is bound to; null for a user or an unbound key. */
  boundTo: string | null;
}

/** The audit action of each kind of release record (`pinned` and `followedLatest` are an environment's). */
const AUDIT_ACTION = {
  deployed: 'deployment.deployed',
  canaryStarted: 'deployment.deployed',
  canaryRamped: 'deployment.canaryRamped',
  canaryPromoted: 'deployment.canaryPromoted',
  canaryAborted: 'deployment.canaryAborted',
  rolledBack: 'deployment.rolledBack',
  promoted: 'deployment.promoted',
  undeployed: 'deployment.undeployed',
} as const;
type DeploymentRecordAction = keyof typeof AUDIT_ACTION;

export function toDeployment(row: DeploymentRow, environment: string, templateName: string): Deployment {
  return {
    environment,
    templateId: row.templateId,
    templateName,
    version: row.version,
    stable: stableOf(row),
    canary: canaryWithGuard(row),
    deployedBy: { type: row.deployedByType, id: row.deployedById, name: row.deployedByName },
    deployedAt: row.deployedAt.toISOString(),
    note: row.note,
  };
}

/** The deployment's canary with its guard as the API shows it (without the internal `since`). */
function canaryWithGuard(row: DeploymentRow): Deployment['canary'] {
  const canary = canaryOf(row);
  if (!canary) return null;
  const stored = row.canaryGuard;
  return { ...canary, guard: stored ? guardView(stored) : null };
}

export function guardView({ since: _, ...guard }: StoredGuard): NonNullable<Deployment['canary']>['guard'] {
  return guard;
}

export const forbiddenEnvironment = (name: string) =>
  new AppError('FORBIDDEN', `This API key is bound to another environment; it cannot act on ${name}`);

/**
 * The environment and the active template a deployment call acts on, both locked `FOR SHARE` (the
 * template cannot be deleted while it is deployed): 404 when either is unknown, 403 for a key bound
 * to another environment, 409 when the environment follows latest (it serves the current version
 * of everything; nothing is deployed to it).
 */
async function deploymentTarget(tx: Db, by: Deployer, name: string, templateId: string) {
  const environment = await lockEnvironment(tx, by.organizationId, name, 'share');
  if (by.boundTo !== null && environment.id !== by.boundTo) throw forbiddenEnvironment(name);
  const template = await lockActiveTemplate(tx, by.organizationId, templateId);
  refuseFollowingLatest(environment);
  return { environment, template };
}

export function refuseFollowingLatest(environment: EnvironmentRow) {
  if (environment.followsLatest) {
    throw new AppError(
      'CONFLICT',
      `${environment.name} follows latest: it serves the current version of every template; switch followsLatest off to deploy to it`,
      { reason: 'followsLatest' },
    );
  }
}

/** The environment a read names: 404 when unknown, 403 for a key bound to another. */
export async function readableEnvironment(db: Db, by: Deployer, name: string): Promise<EnvironmentRow> {
  const [environment] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.organizationId, by.organizationId), eq(environments.name, name)));
  if (!environment) throw unknownEnvironment(name);
  if (by.boundTo !== null && environment.id !== by.boundTo) throw forbiddenEnvironment(name);
  return environment;
}

/** The active template, locked `FOR SHARE` (it cannot be deleted while it is deployed); 404 when none. */
export async function lockActiveTemplate(tx: Db, organizationId: string, id: string) {
  const [row] = await tx
    .select(releaseColumns)
    .from(sessionTemplates)
    .where(activeRows(sessionTemplates, organizationId, id))
    .for('share');
  if (!row) throw notFound('Session template', id);
  return row;
}
type LockedTemplate = Awaited<ReturnType<typeof lockActiveTemplate>>;

/**
 * The release a deploy names: without `templateVersion` the session as it stands now (the
 * template's current version with each agent's current version); with it, that revision with the
 * agent versions it pinned (a `deleted` revision is 400, one that never existed 404).
 */
async function releaseToDeploy(
  tx: Db,
  organizationId: string,
  template: LockedTemplate,
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

const noCanary = (environment: string, template: { name: string }) =>
  new AppError('CONFLICT', `${environment}/${template.name} has no canary`, { reason: 'noCanary' });

function checkVersion(existing: DeploymentRow | null, templateId: string, version: number | undefined) {
  if (version !== undefined && version !== (existing?.version ?? 0)) {
    throw staleVersion('Deployment', templateId, existing?.version ?? 0, version);
  }
}

/** The release a change brings in, as the plan shows it: the new canary, else the new stable. */
function moveOf(template: LockedTemplate, existing: DeploymentRow | null, next: ServedRelease): ReleaseMove {
  const current = existing ? servedBy(existing) : { stable: null, canary: null };
  const to = next.canary ?? next.stable!;
  return {
    templateId: template.id,
    templateName: template.name,
    from: current.stable,
    to: { templateVersion: to.templateVersion, agentVersions: to.agentVersions },
    endedCanary: current.canary && !next.canary ? current.canary : null,
  };
}

/**
 * Makes `next` what the environment serves for the template, in the caller's transaction: the
 * next release record, the deployment row (written, created, or deleted when nothing is served)
 * with the record's number as its version, and the audit event carrying the release.
 */
export async function commitRelease(
  tx: Db,
  by: Attribution,
  environment: EnvironmentRow,
  template: { id: string; name: string },
  existing: DeploymentRow | null,
  next: ServedRelease,
  action: DeploymentRecordAction,
  note: string | null,
  reason: string | null = null,
  guard: StoredGuard | null = null,
): Promise<DeploymentRow | null> {
  const record = await appendRecord(tx, by, {
    environmentId: environment.id,
    templateId: template.id,
    action,
    served: next,
    note,
    reason,
  });
  let row: DeploymentRow | null = null;
  const where = and(eq(deployments.environmentId, environment.id), eq(deployments.templateId, template.id));
  if (next.stable === null) {
    await tx.delete(deployments).where(where);
  } else {
    const values = {
      ...servedColumns(next),
      canaryGuard: next.canary ? guard : null,
      stableTemplateVersion: next.stable.templateVersion,
      stableAgentVersions: next.stable.agentVersions,
      version: record.number,
      note,
      deployedByType: by.actor.type,
      deployedById: by.actor.id,
      deployedByName: by.actor.name,
      deployedAt: record.at,
    };
    if (existing) {
      [row] = (await tx.update(deployments).set(values).where(where).returning()) as [DeploymentRow];
    } else {
      const [inserted] = await tx
        .insert(deployments)
        .values({
          environmentId: environment.id,
          templateId: template.id,
          organizationId: by.organizationId,
          ...values,
        })
        .onConflictDoNothing()
        .returning();
      // Another deploy created it first: run again, now as a change of that deployment.
      if (!inserted) throw new RetryTransaction();
      row = inserted;
    }
  }
  await recordEvent(
    tx,
    by,
    AUDIT_ACTION[action],
    { type: 'deployment', id: template.id, name: `${environment.name}/${template.name}` },
    record.number,
    next,
  );
  return row;
}

/**
 * One change of a deployment: nothing when `next` is what it serves already (no record, no event);
 * with `dryRun` the plan and warnings alone; else the change committed, answered with its warnings.
 */
async function changeDeployment(
  tx: Db,
  by: Deployer,
  environment: EnvironmentRow,
  template: LockedTemplate,
  existing: DeploymentRow | null,
  next: ServedRelease,
  action: DeploymentRecordAction,
  options: { note: string | null; dryRun: boolean; guard?: StoredGuard | null },
): Promise<DeploymentChangeOrPlan> {
  const guard = options.guard ?? null;
  const sameGuard =
    JSON.stringify(existing?.canaryGuard ?? null) === JSON.stringify(next.canary ? guard : null);
  if (existing && sameServed(servedBy(existing), next) && sameGuard) {
    return options.dryRun
      ? { plan: { dryRun: true, applied: false, changes: [], warnings: [] }, warnings: [] }
      : { ...toDeployment(existing, environment.name, template.name), warnings: [] };
  }
  const { changes, warnings } = await planMoves(tx, by.organizationId, environment, [
    moveOf(template, existing, next),
  ]);
  if (options.dryRun) return { plan: { dryRun: true, applied: false, changes, warnings }, warnings };
  const row = await commitRelease(
    tx,
    by,
    environment,
    template,
    existing,
    next,
    action,
    options.note,
    null,
    guard,
  );
  return { ...toDeployment(row!, environment.name, template.name), warnings };
}

/**
 * Deploys a release to an environment, as its stable (any canary ends) or, with `canaryPercent`, as
 * its canary beside the stable. A canary of the stable's own release is 400 `sameAsStable`; a canary
 * of another release while one runs is 409 `canaryRunning` (ramp it, or abort it first); the running
 * canary's own release at another share is a ramp. A deploy that changes nothing writes nothing.
 */
export async function deploy(
  db: Db,
  by: Deployer,
  input: z.output<typeof DeployInput>,
): Promise<DeploymentChangeOrPlan> {
  return writeTransaction(db, async (tx) => {
    const { environment, template } = await deploymentTarget(tx, by, environmentOf(input), input.templateId);
    const release = await releaseToDeploy(tx, by.organizationId, template, input.templateVersion);
    const existing = await lockDeployment(tx, environment.id, template.id);
    checkVersion(existing, template.id, input.version);
    const options = { note: input.note ?? null, dryRun: input.dryRun };
    if (input.canaryPercent === undefined) {
      return changeDeployment(
        tx,
        by,
        environment,
        template,
        existing,
        { stable: release, canary: null },
        'deployed',
        options,
      );
    }
    if (!existing) {
      throw new AppError(
        'CONFLICT',
        `Session template ${template.id} has no stable release in ${environment.name}; deploy one before a canary`,
        { reason: 'noStable' },
      );
    }
    const { stable, canary } = servedBy(existing);
    if (sameRelease(stable!, release)) {
      throw new AppError(
        'BAD_REQUEST',
        `${environment.name} serves version ${release.templateVersion} as its stable already; a canary of it would change nothing`,
        { reason: 'sameAsStable' },
      );
    }
    if (canary && !sameRelease(canary, release)) {
      throw new AppError(
        'CONFLICT',
        `A canary of version ${canary.templateVersion} runs at ${canary.percent}% in ${environment.name}: change its share with rampCanary, or abort it before another canary`,
        { reason: 'canaryRunning', canary },
      );
    }
    const next = { stable, canary: { ...release, percent: input.canaryPercent } };
    // A new guard watches from now; a ramp keeps the running canary's guard (and its start) unless
    // the deploy sets another.
    const since = canary && existing.canaryGuard ? new Date(existing.canaryGuard.since) : new Date();
    const guard = input.guard ? startGuard(input.guard, since) : canary ? existing.canaryGuard : null;
    return changeDeployment(
      tx,
      by,
      environment,
      template,
      existing,
      next,
      canary ? 'canaryRamped' : 'canaryStarted',
      { ...options, guard },
    );
  });
}

/** A running canary's share of sessions; its release never changes (409 when there is no canary). */
export async function rampCanary(
  db: Db,
  by: Deployer,
  input: z.output<typeof RampCanaryInput>,
): Promise<DeploymentChangeOrPlan> {
  return writeTransaction(db, async (tx) => {
    const { environment, template } = await deploymentTarget(tx, by, environmentOf(input), input.templateId);
    const existing = await lockDeployment(tx, environment.id, template.id);
    if (!existing) throw notDeployed(environment.name, template.id);
    checkVersion(existing, template.id, input.version);
    const { stable, canary } = servedBy(existing);
    if (!canary) throw noCanary(environment.name, template);
    const next = { stable, canary: { ...canary, percent: input.percent } };
    return changeDeployment(tx, by, environment, template, existing, next, 'canaryRamped', {
      note: null,
      dryRun: input.dryRun,
      guard: existing.canaryGuard,
    });
  });
}

/**
 * Serves again what this environment served before: without `toRecord`, the stable of the newest
 * record whose stable differs from the current one; with it, that record's stable. A running canary
 * ends. 409 `nothingToRollBack` when that changes nothing; 404 `notDeployed` when the environment
 * never served the template.
 */
export async function rollback(
  db: Db,
  by: Deployer,
  input: z.output<typeof RollbackInput>,
): Promise<DeploymentChangeOrPlan> {
  return writeTransaction(db, async (tx) => {
    const { environment, template } = await deploymentTarget(tx, by, environmentOf(input), input.templateId);
    const existing = await lockDeployment(tx, environment.id, template.id);
    checkVersion(existing, template.id, input.version);
    const records = await recordsOf(tx, environment.id, template.id);
    if (!existing && !records.some((record) => record.stableTemplateVersion !== null)) {
      throw notDeployed(environment.name, template.id);
    }
    const current = existing ? stableOf(existing) : null;
    let target: Release | null;
    if (input.toRecord !== undefined) {
      const record = records.find((candidate) => candidate.number === input.toRecord);
      if (!record) {
        throw new AppError(
          'NOT_FOUND',
          `${environment.name}/${template.name} has no release record ${input.toRecord}`,
          { reason: 'unknownRecord' },
        );
      }
      target = recordServes(record).stable;
      if (!target) {
        throw new AppError('BAD_REQUEST', `Record ${record.number} serves no release (${record.action})`, {
          issues: [{ path: ['toRecord'], message: `Record ${record.number} serves no release` }],
        });
      }
    } else {
      target = rollbackTarget(records.map(recordServes), current)?.stable ?? null;
    }
    if (!target || (existing && current && sameRelease(target, current) && !canaryOf(existing))) {
      throw new AppError(
        'CONFLICT',
        `${environment.name}/${template.name} has served no other release to roll back to`,
        { reason: 'nothingToRollBack' },
      );
    }
    return changeDeployment(
      tx,
      by,
      environment,
      template,
      existing,
      { stable: target, canary: null },
      'rolledBack',
      {
        note: input.note ?? null,
        dryRun: input.dryRun,
      },
    );
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
    const { environment, template } = await deploymentTarget(tx, by, environmentOf(input), input.templateId);
    const existing = await lockDeployment(tx, environment.id, template.id);
    if (!existing) throw notDeployed(environment.name, template.id);
    const canary = canaryOf(existing);
    if (!canary) throw noCanary(environment.name, template);
    const stable =
      outcome === 'promote'
        ? { templateVersion: canary.templateVersion, agentVersions: canary.agentVersions }
        : stableOf(existing);
    const action = outcome === 'promote' ? 'canaryPromoted' : 'canaryAborted';
    const row = await commitRelease(
      tx,
      by,
      environment,
      template,
      existing,
      { stable, canary: null },
      action,
      null,
    );
    return toDeployment(row!, environment.name, template.name);
  });
}

/** Removes a template's deployment from an environment (which then answers 404 `notDeployed` for it). */
export async function undeploy(db: Db, by: Deployer, input: z.output<typeof DeploymentInput>): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const { environment, template } = await deploymentTarget(tx, by, environmentOf(input), input.templateId);
    const existing = await lockDeployment(tx, environment.id, template.id);
    if (!existing) throw notDeployed(environment.name, template.id);
    const nothing = { stable: null, canary: null };
    await commitRelease(tx, by, environment, template, existing, nothing, 'undeployed', null);
  });
}

/** Who deploys: the change's attribution and, for a key bound to an environment, that environment. */
export const deployer = (ctx: { actor: Actor; by: Attribution }): Deployer => ({
  ...ctx.by,
  boundTo: ctx.actor.kind === 'apiKey' ? ctx.actor.environmentId : null,
});
