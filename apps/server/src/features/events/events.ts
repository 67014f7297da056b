import { EventEmitter } from 'node:events';
import { type Database, type Db, eventStreams } from '@switchboard/db';
import { eq, inArray, sql } from 'drizzle-orm';
import { CoalescedWork } from '../../core/coalesced';
import { rowsOf } from '../../core/db';
import { AppError } from '../../core/errors';

/** Sent at the commit of every transaction that wrote audit events (a trigger, migration 0015). */
const COMMITTED = 'switchboard_events';
/** Sent by the sequencer once events are numbered: the organizations they are of, or `*`. */
const SEQUENCED = 'switchboard_sequenced';
/** The advisory lock that lets one sequencer at a time run, whichever instance it is on. */
const SEQUENCER_LOCK = 7_302_051;
/** A notification's payload must stay under 8000 bytes. */
const PAYLOAD_MAX = 7_000;
/** Numbered in one pass at most (the next pass follows at once). */
const BATCH = 5_000;
/** A pass runs at least this often, in case a notification was lost (a reconnect). */
const SWEEP_MS = 1_000;
/** Admissions of one organization's streams queue on this lock (with the organization's hash). */
const STREAMS_LOCK = 7_302_052;
/** An open stream's row counts this long unless its instance renews it (a dead instance's lapse). */
const STREAM_LEASE_MS = 30_000;
/** How often an instance renews the rows of its open streams. */
const STREAM_RENEW_MS = 10_000;

interface Logger {
  error(object: unknown, message: string): void;
}

/** What else happens when events are numbered: in the same transaction, and after it commits. */
export interface OnNumbered {
  /** Queues what the events cause (webhook deliveries); answers how many it queued. */
  queue(tx: Db, seqs: number[], organizationIds: string[]): Promise<number>;
  /** Called after a commit that queued something. */
  queued(): void;
}

/**
 * Change events (docs/api.md "Change events"; docs/architecture.md "Change events"): every audit event gets a `sequence`, per organization,
 * in the order events become visible. Events are written unnumbered in their change's transaction
 * (no lock on the write path); a sequencer, one instance at a time under an advisory lock, numbers
 * every committed event it sees, in the order the rows were inserted (`seq`, so two changes of one
 * resource keep their version order). It sees only committed events, and an event that commits
 * later is numbered by a later pass with a larger number: a reader that resumes after a number
 * never misses one. No horizon of running transactions is needed, so no transaction anywhere on
 * the database server (another application, a `psql` left in `BEGIN`) holds events back
 * (DESIGN.md, "events that nothing stalls"). Each numbering is announced with NOTIFY, which wakes
 * the streams of every instance.
 */
export class ChangeEvents {
  readonly #emitter = new EventEmitter();
  /** The rows (`event_streams`) of this instance's open streams. */
  readonly #streams = new Set<string>();
  readonly #closing = new AbortController();
  readonly #stops: (() => Promise<void>)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly onNumbered?: OnNumbered,
    /** Open streams an organization may hold across every instance (docs/api.md: 100). */
    private readonly streamsPerOrganization = 100,
  ) {
    this.#emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.#stops.push(await this.database.listen(COMMITTED, () => void this.sequence()));
    this.#stops.push(await this.database.listen(SEQUENCED, (payload) => this.#announce(payload)));
    this.#timer = setInterval(() => void this.sequence(), SWEEP_MS);
    this.#timer.unref();
    this.#renewTimer = setInterval(() => void this.#renewStreams(), STREAM_RENEW_MS);
    this.#renewTimer.unref();
    void this.sequence();
  }

  /**
   * Numbers every event that can be numbered now; a call while a pass runs makes one more pass
   * after it. Resolves when the passes are done.
   */
  sequence(): Promise<void> {
    return this.#sequencing.run();
  }

  /** One pass of the background numbering: again at once after a full batch. */
  readonly #sequencing = new CoalescedWork(async () =>
    this.#pass(false).catch((error) => {
      this.log.error({ err: error }, 'numbering change events failed');
      return false;
    }),
  );

  /**
   * Numbers what is committed now, waiting for another instance's pass rather than skipping: after
   * this, every event this request's caller has seen committed has its sequence.
   */
  async catchUp(): Promise<void> {
    await this.#pass(true);
  }

  /** Calls `listener` whenever events of the organization are numbered; answers the unsubscribe. */
  onSequenced(organizationId: string, listener: () => void): () => void {
    this.#emitter.on(organizationId, listener);
    this.#emitter.on('*', listener);
    return () => {
      this.#emitter.off(organizationId, listener);
      this.#emitter.off('*', listener);
    };
  }

  /**
   * Admits one more open stream of the organization (SSE or tRPC subscription), counted across
   * every instance, or refuses with 429 at the limit; answers the function that lets it go.
   * Admissions of one organization queue on an advisory lock, so two instances cannot both admit
   * the last place.
   */
  async admitStream(organizationId: string): Promise<() => void> {
    const limit = this.streamsPerOrganization;
    const id = await this.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${STREAMS_LOCK}, hashtext(${organizationId}))`);
      const [row] = rowsOf<{ open: number }>(
        await tx.execute(sql`select count(*)::int as open from ${eventStreams}
          where ${eventStreams.organizationId} = ${organizationId} and ${eventStreams.leaseUntil} > now()`),
      );
      if ((row?.open ?? 0) >= limit) {
        throw new AppError(
          'TOO_MANY_REQUESTS',
          `At most ${limit} open event streams per organization`,
          { limit },
          { 'retry-after': '5' },
        );
      }
      const [stream] = await tx
        .insert(eventStreams)
        .values({ organizationId, leaseUntil: sql`now() + ${`${STREAM_LEASE_MS} milliseconds`}::interval` })
        .returning({ id: eventStreams.id });
      return stream!.id;
    });
    this.#streams.add(id);
    return () => {
      if (!this.#streams.delete(id)) return;
      void this.database.db
        .delete(eventStreams)
        .where(eq(eventStreams.id, id))
        .catch((error) => this.log.error({ err: error }, 'releasing an event stream failed'));
    };
  }

  /** Keeps this instance's open streams counted, and drops the rows of streams whose instance died. */
  async #renewStreams(): Promise<void> {
    try {
      if (this.#streams.size) {
        await this.database.db
          .update(eventStreams)
          .set({ leaseUntil: sql`now() + ${`${STREAM_LEASE_MS} milliseconds`}::interval` })
          .where(inArray(eventStreams.id, [...this.#streams]));
      }
      await this.database.db.delete(eventStreams).where(sql`${eventStreams.leaseUntil} < now()`);
    } catch (error) {
      this.log.error({ err: error }, 'renewing event streams failed');
    }
  }

  /** Aborted when the server begins to close: every open stream ends then. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Ends every open stream (the server is closing: streams must not hold it open). */
  endStreams(): void {
    this.#closing.abort();
  }

  async close(): Promise<void> {
    this.endStreams();
    clearInterval(this.#timer);
    clearInterval(this.#renewTimer);
    // The streams' rows go now: their releases may come after the database has closed.
    const open = [...this.#streams];
    this.#streams.clear();
    if (open.length) {
      await this.database.db
        .delete(eventStreams)
        .where(inArray(eventStreams.id, open))
        .catch((error) => this.log.error({ err: error }, 'releasing event streams failed'));
    }
    await this.#sequencing.stop();
    await Promise.all(this.#stops.map((stop) => stop().catch(() => {})));
  }

  #announce(payload: string): void {
    for (const organizationId of payload.split(',')) {
      if (organizationId) this.#emitter.emit(organizationId);
    }
  }

  /** One pass: true when it numbered a whole batch (more may wait). */
  async #pass(wait: boolean): Promise<boolean> {
    let queued = 0;
    const result = await this.database.db.transaction(async (tx) => {
      if (wait) {
        await tx.execute(sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`);
      } else {
        const [lock] = rowsOf<{ locked: boolean }>(
          await tx.execute(sql`select pg_try_advisory_xact_lock(${SEQUENCER_LOCK}) as locked`),
        );
        // Another instance is numbering: it announces what it numbers.
        if (!lock?.locked) return false;
      }
      const numbered = rowsOf<{ seq: number | string; organization_id: string }>(
        await tx.execute(sql`
          with pending as (
            select seq, organization_id from audit_events
            where sequence is null
            order by seq
            limit ${BATCH}
          ),
          counts as (
            select organization_id, count(*) as n from pending group by organization_id
          ),
          bumped as (
            insert into event_sequences as s (organization_id, last)
            select organization_id, n from counts
            on conflict (organization_id) do update set last = s.last + excluded.last
            returning organization_id, last
          ),
          numbered as (
            select p.seq,
              b.last - c.n + row_number() over (partition by p.organization_id order by p.seq) as sequence
            from pending p join counts c using (organization_id) join bumped b using (organization_id)
          )
          update audit_events set sequence = numbered.sequence
          from numbered where audit_events.seq = numbered.seq
          returning audit_events.seq, audit_events.organization_id`),
      );
      const organizations = [...new Set(numbered.map((row) => row.organization_id))];
      if (organizations.length && this.onNumbered) {
        queued = await this.onNumbered.queue(
          tx,
          numbered.map((row) => Number(row.seq)),
          organizations,
        );
      }
      if (organizations.length) {
        const payload = organizations.join(',');
        await tx.execute(
          sql`select pg_notify(${SEQUENCED}, ${payload.length > PAYLOAD_MAX ? '*' : payload})`,
        );
      }
      return numbered.length >= BATCH;
    });
    if (queued) this.onNumbered?.queued();
    return result;
  }
}
