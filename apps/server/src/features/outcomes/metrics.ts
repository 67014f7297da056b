import {
  type ArmMetrics,
  type DeploymentMetrics,
  type DeploymentMetricsInput,
  environmentOf,
  type MetricsPoint,
  type Release,
  type ReleaseArm,
  sameRelease,
} from '@switchboard/contract';
import { type Db, deployments, outcomeMinutes, sessionTemplates } from '@switchboard/db';
import { and, asc, eq, gte, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { notFound } from '../../core/errors';
import { type Deployer, readableEnvironment } from '../deployments/deployments';
import {
  canaryOf,
  currentAgentVersions,
  currentSession,
  recordServes,
  recordsOf,
  stableOf,
} from '../deployments/releases';
import { releaseKey } from './digest';
import { addHistogram, emptyHistogram, p95 } from './histogram';

const MINUTE_MS = 60_000;
/** How long outcomes are kept (and how far back metrics reach). */
export const OUTCOME_RETENTION_MS = 30 * 86_400_000;

/** One arm's release and the instant it began to serve it. */
export interface ArmWindow {
  arm: ReleaseArm;
  release: Release;
  since: Date;
}

interface Totals {
  sessions: number;
  failed: number;
  latency: number[];
  scoreSum: number;
  scoreCount: number;
}

const emptyTotals = (): Totals => ({
  sessions: 0,
  failed: 0,
  latency: emptyHistogram(),
  scoreSum: 0,
  scoreCount: 0,
});

function addTotals(into: Totals, row: Totals) {
  into.sessions += row.sessions;
  into.failed += row.failed;
  addHistogram(into.latency, row.latency);
  into.scoreSum += row.scoreSum;
  into.scoreCount += row.scoreCount;
}

const minuteOf = (at: Date) => new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);

/**
 * The per-minute rows of each arm's release since the arm began to serve it (from the whole minute
 * it began), in one query, oldest first.
 */
async function armRows(db: Db, environmentId: string, templateId: string, windows: ArmWindow[]) {
  if (!windows.length) return [];
  return db
    .select({
      arm: outcomeMinutes.arm,
      minute: outcomeMinutes.minute,
      sessions: outcomeMinutes.sessions,
      failed: outcomeMinutes.failed,
      latency: outcomeMinutes.latency,
      scoreSum: outcomeMinutes.scoreSum,
      scoreCount: outcomeMinutes.scoreCount,
    })
    .from(outcomeMinutes)
    .where(
      and(
        eq(outcomeMinutes.environmentId, environmentId),
        eq(outcomeMinutes.templateId, templateId),
        or(
          ...windows.map((window) =>
            and(
              eq(outcomeMinutes.arm, window.arm),
              eq(outcomeMinutes.releaseKey, releaseKey(window.release)),
              gte(outcomeMinutes.minute, minuteOf(window.since)),
            ),
          ),
        ),
      ),
    )
    .orderBy(asc(outcomeMinutes.minute), asc(outcomeMinutes.arm));
}

/** Each arm's totals since it began to serve its release. */
export async function armTotals(
  db: Db,
  environmentId: string,
  templateId: string,
  windows: ArmWindow[],
): Promise<Map<ReleaseArm, Totals>> {
  const totals = new Map<ReleaseArm, Totals>(windows.map((window) => [window.arm, emptyTotals()]));
  for (const row of await armRows(db, environmentId, templateId, windows))
    addTotals(totals.get(row.arm)!, row);
  return totals;
}

const meanScore = (totals: Totals) => (totals.scoreCount ? totals.scoreSum / totals.scoreCount : null);

function armMetrics(release: Release, totals: Totals): ArmMetrics {
  return {
    release,
    sessions: totals.sessions,
    failed: totals.failed,
    failureRate: totals.sessions ? totals.failed / totals.sessions : 0,
    firstResponseP95Ms: p95(totals.latency),
    meanScore: meanScore(totals),
  };
}

/**
 * When the current release of `arm` began to serve: the oldest of the newest unbroken run of
 * records that serve it in that arm (records come newest first).
 */
function servingSince(
  records: Awaited<ReturnType<typeof recordsOf>>,
  arm: 'stable' | 'canary',
  release: Release,
): Date {
  let since = records[0]?.at ?? new Date();
  for (const record of records) {
    const served = recordServes(record)[arm];
    if (!served || !sameRelease(served, release)) break;
    since = record.at;
  }
  return since;
}

/**
 * `deployments.metrics` (docs/api.md "Session outcomes and guarded canaries"): each arm the environment
 * serves now, with its outcomes since it began to serve its release (or since `since`), and the
 * per-minute series of those arms.
 */
export async function deploymentMetrics(
  db: Db,
  by: Deployer,
  input: z.output<typeof DeploymentMetricsInput>,
): Promise<DeploymentMetrics> {
  const environment = await readableEnvironment(db, by, environmentOf(input));
  const [template] = await db
    .select({
      id: sessionTemplates.id,
      version: sessionTemplates.version,
      agentIds: sessionTemplates.agentIds,
    })
    .from(sessionTemplates)
    .where(
      and(eq(sessionTemplates.organizationId, by.organizationId), eq(sessionTemplates.id, input.templateId)),
    );
  if (!template) throw notFound('Session template', input.templateId);
  const oldest = new Date(Date.now() - OUTCOME_RETENTION_MS);
  const asked = input.since ? new Date(Math.max(Date.parse(input.since), oldest.getTime())) : null;
  const windows: ArmWindow[] = [];
  if (environment.followsLatest) {
    const versions = await currentAgentVersions(db, by.organizationId, template.agentIds);
    windows.push({ arm: 'latest', release: currentSession(template, versions), since: asked ?? oldest });
  } else {
    const [row] = await db
      .select()
      .from(deployments)
      .where(and(eq(deployments.environmentId, environment.id), eq(deployments.templateId, template.id)));
    if (row) {
      const records = await recordsOf(db, environment.id, template.id);
      const stable = stableOf(row);
      windows.push({
        arm: 'stable',
        release: stable,
        since: asked ?? servingSince(records, 'stable', stable),
      });
      const canary = canaryOf(row);
      if (canary) {
        const release = { templateVersion: canary.templateVersion, agentVersions: canary.agentVersions };
        const since = row.canaryGuard
          ? new Date(row.canaryGuard.since)
          : servingSince(records, 'canary', canary);
        windows.push({ arm: 'canary', release, since: asked ?? since });
      }
    }
  }
  for (const window of windows) if (window.since < oldest) window.since = oldest;
  const totals = new Map<ReleaseArm, Totals>(windows.map((window) => [window.arm, emptyTotals()]));
  const series: MetricsPoint[] = [];
  for (const row of await armRows(db, environment.id, template.id, windows)) {
    addTotals(totals.get(row.arm)!, row);
    series.push({
      minute: row.minute.toISOString(),
      arm: row.arm,
      sessions: row.sessions,
      failed: row.failed,
      firstResponseP95Ms: p95(row.latency),
      meanScore: row.scoreCount ? row.scoreSum / row.scoreCount : null,
    });
  }
  const arm = (name: ReleaseArm) => {
    const window = windows.find((candidate) => candidate.arm === name);
    return window ? armMetrics(window.release, totals.get(name)!) : null;
  };
  const since =
    asked ?? windows.reduce<Date | null>((min, w) => (!min || w.since < min ? w.since : min), null);
  return {
    since: (since ?? new Date()).toISOString(),
    arms: { stable: arm('stable'), canary: arm('canary'), latest: arm('latest') },
    series,
  };
}

/** Deletes outcome minutes past the retention (run by the guard's instance). */
export async function forgetOldOutcomes(db: Db): Promise<void> {
  await db.delete(outcomeMinutes).where(sql`${outcomeMinutes.minute} < now() - interval '30 days'`);
}
