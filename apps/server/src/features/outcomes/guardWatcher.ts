import { randomUUID } from 'node:crypto';
import type { DeploymentRow, EnvironmentRow } from '@switchboard/db';
import { type Db, deployments, environments, type StoredGuard, sessionTemplates } from '@switchboard/db';
import { and, eq, sql } from 'drizzle-orm';
import { rowsOf } from '../../core/db';
import { commitRelease } from '../deployments/deployments';
import { canaryOf, stableOf } from '../deployments/releases';
import { recordEvent } from '../history/history';
import { type ArmFigures, judge } from './guard';
import { p95 } from './histogram';
import { armTotals, forgetOldOutcomes } from './metrics';

/** The actor of what a guard does by itself (docs/api.md "Session outcomes and guarded canaries"). */
export const GUARD_ACTOR = { type: 'system', id: null, name: 'guard' } as const;

/**
 * A guard's new status, in the caller's transaction, on the deployment as it was judged (the caller
 * locked it and checked it is unchanged): the guard's row, a `deployment.guardChanged` event, and
 * on a breach the canary aborted or, once passed with `autoPromote`, promoted, as a release record
 * and audit event by the `guard` with its figures as `reason`.
 */
export async function commitGuardVerdict(
  tx: Db,
  environment: EnvironmentRow,
  template: { id: string; name: string },
  existing: DeploymentRow & { canaryGuard: StoredGuard },
  verdict: { status: StoredGuard['status']; detail: string },
): Promise<void> {
  const by = { organizationId: existing.organizationId, actor: GUARD_ACTOR, requestId: randomUUID() };
  const guard = { ...existing.canaryGuard, ...verdict, checkedAt: new Date().toISOString() };
  await tx
    .update(deployments)
    .set({ canaryGuard: guard })
    .where(and(eq(deployments.environmentId, environment.id), eq(deployments.templateId, template.id)));
  await recordEvent(
    tx,
    by,
    'deployment.guardChanged',
    { type: 'deployment', id: template.id, name: `${environment.name}/${template.name}` },
    existing.version,
    null,
    verdict,
  );
  const canary = canaryOf(existing)!;
  if (verdict.status === 'breached') {
    const next = { stable: stableOf(existing), canary: null };
    await commitRelease(tx, by, environment, template, existing, next, 'canaryAborted', null, verdict.detail);
  } else if (verdict.status === 'passed' && guard.autoPromote) {
    const next = {
      stable: { templateVersion: canary.templateVersion, agentVersions: canary.agentVersions },
      canary: null,
    };
    await commitRelease(
      tx,
      by,
      environment,
      template,
      existing,
      next,
      'canaryPromoted',
      null,
      verdict.detail,
    );
  }
}

/** The advisory lock that lets one instance at a time judge the guards. */
const GUARD_LOCK = 7_270_437;
/** How often the judging instance also deletes outcomes past their 30 days. */
const FORGET_EVERY_MS = 3_600_000;

/**
 * Judges every watching guard every `GUARD_INTERVAL` (docs/api.md "Session outcomes and guarded
 * canaries"), on one instance at a time (an advisory lock; the others skip the pass), from the
 * outcomes every instance has flushed. A verdict is committed on the deployment as it was judged:
 * a deploy, ramp or abort in between wins, and the guard acts once.
 */
export class GuardWatcher {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #closed = false;
  #forgotAt = 0;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly log: { error(object: unknown, message: string): void },
    /** Adds this instance's own outcomes to the database first. */
    private readonly flushOwn: () => Promise<void>,
  ) {}

  start() {
    const tick = () => {
      if (this.#closed) return;
      this.#running = this.check()
        .catch((error) => this.log.error({ err: error }, 'guards could not be judged'))
        .finally(() => {
          if (!this.#closed) {
            this.#timer = setTimeout(tick, this.intervalMs);
            this.#timer.unref();
          }
        });
    };
    this.#timer = setTimeout(tick, this.intervalMs);
    this.#timer.unref();
  }

  /** One pass over every watching guard; nothing when another instance holds the pass. */
  async check(): Promise<void> {
    await this.flushOwn();
    await this.db.transaction(async (tx) => {
      const [lock] = rowsOf<{ locked: boolean }>(
        await tx.execute(sql`select pg_try_advisory_xact_lock(${GUARD_LOCK}) as locked`),
      );
      if (!lock?.locked) return;
      const watched = await tx
        .select({ deployment: deployments, environment: environments, templateName: sessionTemplates.name })
        .from(deployments)
        .innerJoin(environments, eq(environments.id, deployments.environmentId))
        .innerJoin(sessionTemplates, eq(sessionTemplates.id, deployments.templateId))
        .where(sql`${deployments.canaryGuard}->>'status' = 'watching'`);
      for (const { deployment, environment, templateName } of watched) {
        const guard = deployment.canaryGuard!;
        const canary = canaryOf(deployment)!;
        const since = new Date(guard.since);
        const totals = await armTotals(tx, environment.id, deployment.templateId, [
          {
            arm: 'canary',
            release: { templateVersion: canary.templateVersion, agentVersions: canary.agentVersions },
            since,
          },
          { arm: 'stable', release: stableOf(deployment), since },
        ]);
        const figures = (arm: 'canary' | 'stable'): ArmFigures => {
          const total = totals.get(arm)!;
          return { sessions: total.sessions, failed: total.failed, p95Ms: p95(total.latency) };
        };
        const verdict = judge(guard, figures('canary'), figures('stable'), Date.now() - since.getTime());
        const where = and(
          eq(deployments.environmentId, deployment.environmentId),
          eq(deployments.templateId, deployment.templateId),
          eq(deployments.version, deployment.version),
        );
        if (verdict.status === 'watching') {
          const checked: StoredGuard = {
            ...guard,
            detail: verdict.detail,
            checkedAt: new Date().toISOString(),
          };
          await tx.update(deployments).set({ canaryGuard: checked }).where(where);
          continue;
        }
        // Acts only on the deployment as judged: locked, and still the same version.
        const [current] = await tx.select().from(deployments).where(where).for('update');
        if (current?.canaryGuard?.status !== 'watching') continue;
        await commitGuardVerdict(
          tx,
          environment,
          { id: deployment.templateId, name: templateName },
          current as typeof current & { canaryGuard: StoredGuard },
          verdict,
        );
      }
      if (Date.now() - this.#forgotAt > FORGET_EVERY_MS) {
        this.#forgotAt = Date.now();
        await forgetOldOutcomes(tx);
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
