import {
  OUTCOME_MAX_AGE_MS,
  OUTCOME_MAX_AHEAD_MS,
  type Outcome,
  type OutcomesAccepted,
  type ReportOutcomesInput,
} from '@switchboard/contract';
import { type Db, environments, outcomeMinutes, sessionTemplates } from '@switchboard/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError } from '../../core/errors';
import { addHistogram, bucketOf, emptyHistogram } from './histogram';

/**
 * Session outcomes, aggregated where they arrive (docs/architecture.md "Session outcomes"): each
 * instance adds the outcomes it accepts into per-minute buckets in memory, and every flush adds
 * them to `outcome_minutes` with one multi-row upsert. Nothing is stored per session, so 20,000
 * outcomes a second cost a few statements; a killed instance loses the outcomes of its last
 * unflushed interval (half a second).
 */

/** Who reports: the organization, and the environment a bound key is limited to. */
export interface Reporter {
  organizationId: string;
  /** The environment (id) of a bound key; null for an admin or an unbound key. */
  boundTo: string | null;
}

interface Bucket {
  organizationId: string;
  environmentId: string;
  templateId: string;
  arm: Outcome['release']['arm'];
  releaseKey: string;
  minute: Date;
  minuteMs: number;
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

/** Whether two releases are the same, without writing either as text. */
function sameRelease(a: Record<string, number>, b: Record<string, number>): boolean {
  let count = 0;
  for (const id in a) {
    if (a[id] !== b[id]) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

const MINUTE_MS = 60_000;
/** Most buckets an instance holds unflushed (the database down): past it, reports are 503, never dropped. */
const MAX_PENDING_BUCKETS = 100_000;
/** Rows per upsert statement. */
const ROWS_PER_STATEMENT = 1000;

export class OutcomeAggregator {
  #pending = new Map<string, Bucket>();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly flushMs: number,
    private readonly log: { error(object: unknown, message: string): void },
  ) {}

  start() {
    this.#timer = setInterval(() => void this.flush(), this.flushMs);
    this.#timer.unref();
  }

  /**
   * Checks a whole batch, then counts it: one 400 names every bad entry (an unknown template or
   * environment, an end too old or too far ahead), and a key bound to an environment is 403 for
   * another. Nothing of a refused batch is counted.
   */
  async report(by: Reporter, input: z.output<typeof ReportOutcomesInput>): Promise<OutcomesAccepted> {
    const { outcomes } = input;
    const names = [...new Set(outcomes.map((outcome) => outcome.environment))];
    const templateIds = [...new Set(outcomes.map((outcome) => outcome.templateId))];
    const known = await this.db
      .select({ kind: sql<'e' | 't'>`'e'`, id: environments.id, name: environments.name })
      .from(environments)
      .where(and(eq(environments.organizationId, by.organizationId), inArray(environments.name, names)))
      .unionAll(
        this.db
          .select({ kind: sql<'e' | 't'>`'t'`, id: sessionTemplates.id, name: sql<string>`''` })
          .from(sessionTemplates)
          .where(
            and(
              eq(sessionTemplates.organizationId, by.organizationId),
              inArray(sessionTemplates.id, templateIds),
            ),
          ),
      );
    const environmentIds = new Map(known.filter((row) => row.kind === 'e').map((row) => [row.name, row.id]));
    const templates = new Set(known.filter((row) => row.kind === 't').map((row) => row.id));
    const now = Date.now();
    const issues: { path: (string | number)[]; message: string }[] = [];
    // One pass checks every outcome and keeps what counting needs (its environment and minute).
    const environmentOf: string[] = new Array(outcomes.length);
    const minuteOf = new Float64Array(outcomes.length);
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = outcomes[index]!;
      const environmentId = environmentIds.get(outcome.environment);
      if (environmentId === undefined) {
        issues.push({
          path: ['outcomes', index, 'environment'],
          message: `No environment is named ${outcome.environment}`,
        });
      } else if (by.boundTo !== null && environmentId !== by.boundTo) {
        throw new AppError(
          'FORBIDDEN',
          `This API key is bound to another environment; it cannot report outcomes of ${outcome.environment}`,
        );
      } else environmentOf[index] = environmentId;
      if (!templates.has(outcome.templateId)) {
        issues.push({
          path: ['outcomes', index, 'templateId'],
          message: `Session template ${outcome.templateId} not found`,
        });
      }
      const endedAt = Date.parse(outcome.endedAt);
      if (endedAt < now - OUTCOME_MAX_AGE_MS) {
        issues.push({ path: ['outcomes', index, 'endedAt'], message: 'Ended more than 24 hours ago' });
      } else if (endedAt > now + OUTCOME_MAX_AHEAD_MS) {
        issues.push({
          path: ['outcomes', index, 'endedAt'],
          message: 'Ends more than 5 minutes in the future',
        });
      }
      minuteOf[index] = Math.floor(endedAt / MINUTE_MS) * MINUTE_MS;
    }
    if (issues.length) {
      throw new AppError('BAD_REQUEST', `${issues.length} problem(s) in the outcomes; none was counted`, {
        issues,
      });
    }
    if (this.#pending.size >= MAX_PENDING_BUCKETS) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Outcomes cannot be stored now; send them again shortly',
        {},
        { 'retry-after': '5' },
      );
    }
    // Outcomes of one batch mostly share a bucket (one template, release and minute): the last
    // bucket is tried before a release key and bucket id are written and looked up.
    let last: Bucket | undefined;
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = outcomes[index]!;
      const environmentId = environmentOf[index]!;
      const minute = minuteOf[index]!;
      const { release } = outcome;
      if (
        last === undefined ||
        last.minuteMs !== minute ||
        last.templateId !== outcome.templateId ||
        last.environmentId !== environmentId ||
        last.arm !== release.arm ||
        last.templateVersion !== release.templateVersion ||
        !sameRelease(last.agentVersions, release.agentVersions)
      ) {
        last = this.#bucket(by.organizationId, environmentId, outcome, minute);
      }
      last.sessions++;
      if (outcome.status === 'failed') last.failed++;
      if (outcome.firstResponseMs !== undefined) last.latency[bucketOf(outcome.firstResponseMs)]!++;
      if (outcome.score !== undefined) {
        last.scoreSum += outcome.score;
        last.scoreCount++;
      }
    }
    return { accepted: outcomes.length };
  }

  /** The pending bucket of an outcome's environment, template, arm, minute and release. */
  #bucket(
    organizationId: string,
    environmentId: string,
    outcome: z.output<typeof ReportOutcomesInput>['outcomes'][number],
    minute: number,
  ): Bucket {
    const key = releaseKey(outcome.release);
    const id = `${environmentId} ${outcome.templateId} ${outcome.release.arm} ${minute} ${key}`;
    let bucket = this.#pending.get(id);
    if (!bucket) {
      bucket = {
        organizationId,
        environmentId,
        templateId: outcome.templateId,
        arm: outcome.release.arm,
        releaseKey: key,
        minute: new Date(minute),
        minuteMs: minute,
        templateVersion: outcome.release.templateVersion,
        agentVersions: outcome.release.agentVersions,
        sessions: 0,
        failed: 0,
        latency: emptyHistogram(),
        scoreSum: 0,
        scoreCount: 0,
      };
      this.#pending.set(id, bucket);
    }
    return bucket;
  }

  /**
   * Adds what this instance holds to the database, in key order (two instances upserting the same
   * rows lock them in the same order, so they never deadlock). On failure the buckets are kept,
   * merged with what arrived meanwhile, for the next flush.
   */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (!this.#pending.size) return;
    const taken = this.#pending;
    this.#pending = new Map();
    const entries = [...taken].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    try {
      for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
        const rows = entries.slice(start, start + ROWS_PER_STATEMENT).map(([, bucket]) => bucket);
        await this.db
          .insert(outcomeMinutes)
          .values(rows)
          .onConflictDoUpdate({
            target: [
              outcomeMinutes.environmentId,
              outcomeMinutes.templateId,
              outcomeMinutes.arm,
              outcomeMinutes.releaseKey,
              outcomeMinutes.minute,
            ],
            set: {
              sessions: sql`${outcomeMinutes.sessions} + excluded.sessions`,
              failed: sql`${outcomeMinutes.failed} + excluded.failed`,
              latency: sql`(select array_agg(coalesce(a, 0) + coalesce(b, 0) order by i)
                from unnest(${outcomeMinutes.latency}, excluded.latency) with ordinality as h(a, b, i))`,
              scoreSum: sql`${outcomeMinutes.scoreSum} + excluded.score_sum`,
              scoreCount: sql`${outcomeMinutes.scoreCount} + excluded.score_count`,
            },
          });
        for (const [id] of entries.slice(start, start + ROWS_PER_STATEMENT)) taken.delete(id);
      }
    } catch (error) {
      this.log.error({ err: error }, 'outcomes could not be flushed; kept for the next flush');
      for (const [id, bucket] of taken) {
        const newer = this.#pending.get(id);
        if (newer) {
          bucket.sessions += newer.sessions;
          bucket.failed += newer.failed;
          addHistogram(bucket.latency, newer.latency);
          bucket.scoreSum += newer.scoreSum;
          bucket.scoreCount += newer.scoreCount;
        }
        this.#pending.set(id, bucket);
      }
    }
  }

  /** Stops the timer and flushes what is left (before the database closes). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }
}
