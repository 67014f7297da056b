import {
  OUTCOME_MAX_AGE_MS,
  OUTCOME_MAX_AHEAD_MS,
  type ReleaseArm,
  ReportOutcomesInput,
} from '@switchboard/contract';
import type { z } from 'zod';
import { bucketOf, emptyHistogram } from './histogram';

/**
 * A report of outcomes read into what counting needs (docs/architecture.md "Session outcomes and
 * guards"): its outcomes added up per environment, template, arm, minute and release, and which
 * outcomes name each environment and template (for the 400 that names every bad entry). Pure and
 * made of plain data, so a worker thread reads a report into one and hands it to the event loop.
 */
export interface ReportDigest {
  count: number;
  /** Each environment named, with the indices of the outcomes that name it. */
  environments: Map<string, number[]>;
  /** Each template id (lower-case), with the indices of the outcomes that name it. */
  templates: Map<string, number[]>;
  /** Indices of outcomes that ended more than 24 hours ago, and that end over 5 minutes ahead. */
  tooOld: number[];
  tooNew: number[];
  buckets: DigestBucket[];
}

export interface DigestBucket {
  /** The environment's name. */
  environment: string;
  templateId: string;
  arm: ReleaseArm;
  minuteMs: number;
  releaseKey: string;
  templateVersion: number;
  agentVersions: Record<string, number>;
  sessions: number;
  failed: number;
  latency: number[];
  scoreSum: number;
  scoreCount: number;
}

/** A release as one text: its template version and each agent's version, in agent id order. */
export function releaseKey(release: {
  templateVersion: number;
  agentVersions: Record<string, number>;
}): string {
  const ids = Object.keys(release.agentVersions);
  // Runtimes echo the release as session config answers it, agents in id order: sort only if not.
  for (let i = 1; i < ids.length; i++) {
    if (ids[i - 1]! > ids[i]!) {
      ids.sort();
      break;
    }
  }
  let key = String(release.templateVersion);
  for (const id of ids) key += ` ${id}@${release.agentVersions[id]}`;
  return key;
}

/** Whether two releases' agents are the same, without writing either as text. */
function sameAgents(a: Record<string, number>, b: Record<string, number>): boolean {
  let count = 0;
  for (const id in a) {
    if (a[id] !== b[id]) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

const MINUTE_MS = 60_000;

/** Notes that outcome `index` names `key`. */
function noteIndex(map: Map<string, number[]>, key: string, index: number) {
  const indices = map.get(key);
  if (indices) indices.push(index);
  else map.set(key, [index]);
}

/** Adds up a report's outcomes (already checked against the contract) as of `now`. */
export function digestReport(input: z.output<typeof ReportOutcomesInput>, now: number): ReportDigest {
  const digest: ReportDigest = {
    count: input.outcomes.length,
    environments: new Map(),
    templates: new Map(),
    tooOld: [],
    tooNew: [],
    buckets: [],
  };
  const byId = new Map<string, DigestBucket>();
  // Outcomes of one report mostly share a bucket (one template, release and minute): the last
  // bucket is tried before a release key and bucket id are written and looked up.
  let last: DigestBucket | undefined;
  input.outcomes.forEach((outcome, index) => {
    const { environment, templateId, release } = outcome;
    noteIndex(digest.environments, environment, index);
    noteIndex(digest.templates, templateId, index);
    const endedAt = Date.parse(outcome.endedAt);
    if (endedAt < now - OUTCOME_MAX_AGE_MS) digest.tooOld.push(index);
    else if (endedAt > now + OUTCOME_MAX_AHEAD_MS) digest.tooNew.push(index);
    const minuteMs = Math.floor(endedAt / MINUTE_MS) * MINUTE_MS;
    if (
      last === undefined ||
      last.minuteMs !== minuteMs ||
      last.templateId !== templateId ||
      last.environment !== environment ||
      last.arm !== release.arm ||
      last.templateVersion !== release.templateVersion ||
      !sameAgents(last.agentVersions, release.agentVersions)
    ) {
      const key = releaseKey(release);
      const id = `${environment} ${templateId} ${release.arm} ${minuteMs} ${key}`;
      last = byId.get(id);
      if (!last) {
        last = {
          environment,
          templateId,
          arm: release.arm,
          minuteMs,
          releaseKey: key,
          templateVersion: release.templateVersion,
          agentVersions: release.agentVersions,
          sessions: 0,
          failed: 0,
          latency: emptyHistogram(),
          scoreSum: 0,
          scoreCount: 0,
        };
        byId.set(id, last);
        digest.buckets.push(last);
      }
    }
    last.sessions++;
    if (outcome.status === 'failed') last.failed++;
    if (outcome.firstResponseMs !== undefined) last.latency[bucketOf(outcome.firstResponseMs)]!++;
    if (outcome.score !== undefined) {
      last.scoreSum += outcome.score;
      last.scoreCount++;
    }
  });
  return digest;
}

/** A report a worker thread has already read (the REST adapter hands it to the procedure). */
export class ReadReport {
  constructor(readonly digest: ReportDigest) {}
}

/**
 * The input of `outcomes.report` (a Standard Schema, as tRPC takes one): a report as the contract
 * spells it, checked and read here, or one a worker already read. Either way the procedure gets
 * a digest; a bad report throws the contract's own ZodError, as any other input does.
 */
export const reportInput = {
  /** The schema the report is checked against (the REST adapter and OpenAPI read it). */
  schema: ReportOutcomesInput,
  '~standard': {
    version: 1 as const,
    vendor: 'switchboard',
    validate: (value: unknown): { value: ReportDigest } =>
      value instanceof ReadReport
        ? { value: value.digest }
        : { value: digestReport(ReportOutcomesInput.parse(value), Date.now()) },
    types: undefined as unknown as {
      input: z.input<typeof ReportOutcomesInput>;
      output: ReportDigest;
    },
  },
};
