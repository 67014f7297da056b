import type { GuardSettings, GuardStatus } from '@switchboard/contract';
import type { StoredGuard } from '@switchboard/db';
import type { z } from 'zod';

/**
 * The guard's rule (docs/api.md "Session outcomes and guarded canaries"), a pure function of the two
 * arms' outcomes since the canary began, so tests can check it on either side of every threshold.
 */

/** What the guard reads of one arm. */
export interface ArmFigures {
  sessions: number;
  failed: number;
  /** The first-response p95 (null: no times reported). */
  p95Ms: number | null;
}

/** The one-sided critical value of the z-test at 5%. */
export const Z_CRITICAL = 1.645;
/** After this long without `minSessions`, a guard is inconclusive. */
export const INCONCLUSIVE_AFTER_MS = 24 * 3_600_000;

/**
 * The two-proportion z statistic (pooled) of the canary's failure rate above the stable's; 0 when
 * either arm has no sessions or nobody failed and nobody succeeded in both.
 */
export function twoProportionZ(canary: ArmFigures, stable: ArmFigures): number {
  if (canary.sessions === 0 || stable.sessions === 0) return 0;
  const pCanary = canary.failed / canary.sessions;
  const pStable = stable.failed / stable.sessions;
  const pooled = (canary.failed + stable.failed) / (canary.sessions + stable.sessions);
  const spread = Math.sqrt(pooled * (1 - pooled) * (1 / canary.sessions + 1 / stable.sessions));
  return spread === 0 ? 0 : (pCanary - pStable) / spread;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const rate = (arm: ArmFigures) => (arm.sessions === 0 ? 0 : arm.failed / arm.sessions);

/** A guard's verdict: its status and the figures behind it, in words. */
export interface Verdict {
  status: GuardStatus;
  detail: string;
}

/**
 * Judges a canary: `breached` as soon as it has `minSessions` outcomes and its failure rate exceeds
 * the stable's by more than the allowance and significantly (z > 1.645), or its first-response p95
 * exceeds the stable's by more than the allowed milliseconds; `passed` once `bakeMinutes` have
 * elapsed with `minSessions` and no breach; `inconclusive` after 24 h without `minSessions`; else
 * still `watching`.
 */
export function judge(
  guard: Pick<
    StoredGuard,
    'maxFailureRateIncrease' | 'maxFirstResponseP95IncreaseMs' | 'minSessions' | 'bakeMinutes'
  >,
  canary: ArmFigures,
  stable: ArmFigures,
  elapsedMs: number,
): Verdict {
  const figures = `canary ${canary.sessions} sessions, failure rate ${percent(rate(canary))}; stable ${stable.sessions} sessions, failure rate ${percent(rate(stable))}`;
  if (canary.sessions < guard.minSessions) {
    return elapsedMs >= INCONCLUSIVE_AFTER_MS
      ? {
          status: 'inconclusive',
          detail: `Fewer than ${guard.minSessions} canary sessions in 24 h: ${figures}`,
        }
      : { status: 'watching', detail: `Waiting for ${guard.minSessions} canary sessions: ${figures}` };
  }
  const increase = rate(canary) - rate(stable);
  const z = twoProportionZ(canary, stable);
  if (increase > guard.maxFailureRateIncrease && z > Z_CRITICAL) {
    return {
      status: 'breached',
      detail: `Failure rate ${percent(rate(canary))} against the stable's ${percent(rate(stable))} (+${(increase * 100).toFixed(1)} points, over the ${(guard.maxFailureRateIncrease * 100).toFixed(1)} allowed; z = ${z.toFixed(2)} > ${Z_CRITICAL}) over ${canary.sessions} canary and ${stable.sessions} stable sessions`,
    };
  }
  const limit = guard.maxFirstResponseP95IncreaseMs;
  if (
    limit !== null &&
    canary.p95Ms !== null &&
    stable.p95Ms !== null &&
    canary.p95Ms - stable.p95Ms > limit
  ) {
    return {
      status: 'breached',
      detail: `First-response p95 ${canary.p95Ms} ms against the stable's ${stable.p95Ms} ms (+${Math.round(canary.p95Ms - stable.p95Ms)} ms, over the ${limit} ms allowed) over ${canary.sessions} canary and ${stable.sessions} stable sessions`,
    };
  }
  const p95s =
    canary.p95Ms !== null && stable.p95Ms !== null
      ? `; first-response p95 ${canary.p95Ms} ms against ${stable.p95Ms} ms`
      : '';
  if (elapsedMs >= guard.bakeMinutes * 60_000) {
    return { status: 'passed', detail: `No breach after ${guard.bakeMinutes} min: ${figures}${p95s}` };
  }
  return {
    status: 'watching',
    detail: `Baking for ${guard.bakeMinutes} min, no breach so far: ${figures}${p95s}`,
  };
}

/** A new guard over a canary that serves from `since`. */
export function startGuard(settings: z.output<typeof GuardSettings>, since: Date): StoredGuard {
  return {
    maxFailureRateIncrease: settings.maxFailureRateIncrease,
    maxFirstResponseP95IncreaseMs: settings.maxFirstResponseP95IncreaseMs ?? null,
    minSessions: settings.minSessions,
    bakeMinutes: settings.bakeMinutes,
    autoPromote: settings.autoPromote,
    status: 'watching',
    checkedAt: null,
    detail: null,
    since: since.toISOString(),
  };
}
