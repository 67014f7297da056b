import type { OutcomesAccepted } from '@switchboard/contract';
import { type Db, environments, outcomeMinutes, sessionTemplates } from '@switchboard/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors';
import type { DigestBucket, ReportDigest } from './digest';
import { addHistogram } from './histogram';

/**
 * Session outcomes, aggregated where they arrive (docs/architecture.md "Session outcomes and
 * guards"): each instance adds the outcomes it accepts into per-minute buckets in memory, and every
 * flush adds them to `outcome_minutes` with one multi-row upsert. Nothing is stored per session, so
 * 20,000 outcomes a second cost a few statements; a killed instance loses the outcomes of its last
 * unflushed interval (half a second). A report arrives read (`digest.ts`): by a worker thread over
 * REST, here over tRPC.
 */

/** Who reports: the organization, and the environment a bound key is limited to. */
export interface Reporter {
  organizationId: string;
  /** The environment (id) of a bound key; null for an admin or an unbound key. */
  boundTo: string | null;
}

interface Bucket extends Omit<DigestBucket, 'environment'> {
  organizationId: string;
  environmentId: string;
  minute: Date;
}

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
   * Checks a whole report, then counts it: one 400 names every bad entry (an unknown template or
   * environment, an end too old or too far ahead), and a key bound to an environment is 403 for
   * another. Nothing of a refused report is counted.
   */
  async report(by: Reporter, digest: ReportDigest): Promise<OutcomesAccepted> {
    const known = await this.db
      .select({ kind: sql<'e' | 't'>`'e'`, id: environments.id, name: environments.name })
      .from(environments)
      .where(
        and(
          eq(environments.organizationId, by.organizationId),
          inArray(environments.name, [...digest.environments.keys()]),
        ),
      )
      .unionAll(
        this.db
          .select({ kind: sql<'e' | 't'>`'t'`, id: sessionTemplates.id, name: sql<string>`''` })
          .from(sessionTemplates)
          .where(
            and(
              eq(sessionTemplates.organizationId, by.organizationId),
              inArray(sessionTemplates.id, [...digest.templates.keys()]),
            ),
          ),
      );
    const environmentIds = new Map(known.filter((row) => row.kind === 'e').map((row) => [row.name, row.id]));
    const templates = new Set(known.filter((row) => row.kind === 't').map((row) => row.id));
    for (const [name, id] of environmentIds) {
      if (by.boundTo !== null && id !== by.boundTo) {
        throw new AppError(
          'FORBIDDEN',
          `This API key is bound to another environment; it cannot report outcomes of ${name}`,
        );
      }
    }
    // Each outcome's problems, in the order of the outcomes and of their fields.
    const FIELDS = ['environment', 'templateId', 'endedAt'] as const;
    const issues: { index: number; field: (typeof FIELDS)[number]; message: string }[] = [];
    const add = (indices: number[], field: (typeof FIELDS)[number], message: string) => {
      for (const index of indices) issues.push({ index, field, message });
    };
    for (const [name, indices] of digest.environments) {
      if (!environmentIds.has(name)) add(indices, 'environment', `No environment is named ${name}`);
    }
    for (const [id, indices] of digest.templates) {
      if (!templates.has(id)) add(indices, 'templateId', `Session template ${id} not found`);
    }
    add(digest.tooOld, 'endedAt', 'Ended more than 24 hours ago');
    add(digest.tooNew, 'endedAt', 'Ends more than 5 minutes in the future');
    if (issues.length) {
      issues.sort((a, b) => a.index - b.index || FIELDS.indexOf(a.field) - FIELDS.indexOf(b.field));
      throw new AppError('BAD_REQUEST', `${issues.length} problem(s) in the outcomes; none was counted`, {
        issues: issues.map(({ index, field, message }) => ({ path: ['outcomes', index, field], message })),
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
    for (const { environment, ...counted } of digest.buckets) {
      const environmentId = environmentIds.get(environment)!;
      const id = `${environmentId} ${counted.templateId} ${counted.arm} ${counted.minuteMs} ${counted.releaseKey}`;
      const bucket = this.#pending.get(id);
      if (bucket) addBucket(bucket, counted);
      else {
        this.#pending.set(id, {
          ...counted,
          organizationId: by.organizationId,
          environmentId,
          minute: new Date(counted.minuteMs),
        });
      }
    }
    return { accepted: digest.count };
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
        if (newer) addBucket(bucket, newer);
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

/** Adds the counts of `from` into `into`. */
function addBucket(into: Omit<DigestBucket, 'environment'>, from: Omit<DigestBucket, 'environment'>) {
  into.sessions += from.sessions;
  into.failed += from.failed;
  addHistogram(into.latency, from.latency);
  into.scoreSum += from.scoreSum;
  into.scoreCount += from.scoreCount;
}
