import { z } from 'zod';
import { Id, Timestamp, text } from './common';
import { OUTCOME_STATUSES } from './enums';
import { EnvironmentName, RELEASE_ARMS } from './environments';
import { Release } from './releases';

/** The most outcomes one report may carry. */
export const OUTCOMES_PER_REPORT_MAX = 1000;
/** How long after its end an outcome may still be reported; how far ahead a clock may run. */
export const OUTCOME_MAX_AGE_MS = 24 * 3_600_000;
export const OUTCOME_MAX_AHEAD_MS = 5 * 60_000;

/** The release a session ran: what its session config answered (`release`), arm included. */
export const OutcomeRelease = z
  .strictObject({
    templateVersion: z.int().min(1),
    agentVersions: z.record(Id, z.int().min(1)),
    arm: z.enum(RELEASE_ARMS),
  })
  .meta({ id: 'OutcomeRelease' });
export type OutcomeRelease = z.infer<typeof OutcomeRelease>;

/** How one session ended (docs/api.md "Session outcomes and guarded canaries"). */
export const Outcome = z
  .strictObject({
    templateId: Id,
    environment: EnvironmentName,
    release: OutcomeRelease,
    sessionKey: text().max(255).optional(),
    endedAt: Timestamp,
    status: z.enum(OUTCOME_STATUSES),
    errorCode: text().max(100).optional(),
    /** Milliseconds from the session's start to the agent's first response. */
    firstResponseMs: z.number().min(0).max(600_000).optional(),
    /** A quality score the runtime gives the session. */
    score: z.number().min(0).max(1).optional(),
  })
  .meta({ id: 'Outcome' });
export type Outcome = z.input<typeof Outcome>;

export const ReportOutcomesInput = z
  .strictObject({ outcomes: z.array(Outcome).min(1).max(OUTCOMES_PER_REPORT_MAX) })
  .meta({ id: 'ReportOutcomesInput' });
export type ReportOutcomesInput = z.input<typeof ReportOutcomesInput>;

export const OutcomesAccepted = z.object({ accepted: z.int() }).meta({ id: 'OutcomesAccepted' });
export type OutcomesAccepted = z.infer<typeof OutcomesAccepted>;

/** One arm's outcomes since it began to serve its release (or since `since`). */
export const ArmMetrics = z
  .object({
    release: Release,
    sessions: z.int(),
    failed: z.int(),
    /** `failed / sessions`; 0 with no sessions. */
    failureRate: z.number(),
    /** Exact to within 5% (log-scale buckets); null without first-response times. */
    firstResponseP95Ms: z.number().nullable(),
    meanScore: z.number().nullable(),
  })
  .meta({ id: 'ArmMetrics' });
export type ArmMetrics = z.infer<typeof ArmMetrics>;

export const MetricsPoint = z
  .object({
    /** The whole minute (ISO). */
    minute: Timestamp,
    arm: z.enum(RELEASE_ARMS),
    sessions: z.int(),
    failed: z.int(),
    firstResponseP95Ms: z.number().nullable(),
    meanScore: z.number().nullable(),
  })
  .meta({ id: 'MetricsPoint' });
export type MetricsPoint = z.infer<typeof MetricsPoint>;

export const DeploymentMetrics = z
  .object({
    /** The start of what is counted. */
    since: Timestamp,
    /** Each arm the environment serves now; null: the arm serves nothing. */
    arms: z.object({
      stable: ArmMetrics.nullable(),
      canary: ArmMetrics.nullable(),
      latest: ArmMetrics.nullable(),
    }),
    /** Per minute and arm, oldest first. */
    series: z.array(MetricsPoint),
  })
  .meta({ id: 'DeploymentMetrics' });
export type DeploymentMetrics = z.infer<typeof DeploymentMetrics>;
