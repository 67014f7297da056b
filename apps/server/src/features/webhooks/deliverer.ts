import { randomUUID } from 'node:crypto';
import { type DELIVERY_STATUSES, WEBHOOK_TEST_EVENT } from '@switchboard/contract';
import { type Db, type WebhookRow, webhooks } from '@switchboard/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { CoalescedWork } from '../../core/coalesced';
import { rowsOf } from '../../core/db';
import { recordEvent } from '../history/history';
import { send, signature } from './webhookHttp';

import { type Attempt, resource, type WebhookService } from './webhooks';

/** A claimed delivery, as the claim statement returns it. */
interface Claimed {
  id: string;
  webhook_id: string;
  event_id: string;
  type: string;
  body: string;
  attempts: Attempt[] | string;
}

/** What one attempt of a delivery comes to: recorded with the rest of its batch. */
interface Outcome {
  id: string;
  webhook: WebhookRow;
  /** Whether it tells of the endpoint's health: not a test event, nor skipped as the endpoint is disabled. */
  counts: boolean;
  status: (typeof DELIVERY_STATUSES)[number];
  next: Date | null;
  attempt: Attempt;
  /** The endpoint answered 410 Gone. */
  gone: boolean;
}

/** One attempt has this long in all: connect, send and the answer's headers (docs/api.md: 15 s). */
const ATTEMPT_DEADLINE_MS = 15_000;
/** Attempts in flight to one endpoint at once, across every instance: a slow one holds only these. */
const PER_ENDPOINT = 16;
/**
 * Attempts in flight for one organization at once, across every instance: however many endpoints
 * of one organization hang, they hold only these, never every place of an instance.
 */
const PER_ORGANIZATION = 64;
/** Attempts in flight on one instance at once. */
const IN_FLIGHT_MAX = 512;
const POLL_MS = 250;
/**
 * Deliveries just queued are attempted this soon after, with whatever else is queued by then: under
 * a stream of writes one claim takes many deliveries, not one.
 */
const GATHER_MS = 50;
/** Attempts that end within this long of each other are followed by one claim, not one each. */
const RECLAIM_MS = 5;

/**
 * Attempts due deliveries: any number of instances share the work through a claim with a lease
 * (`WEBHOOK_LEASE_MS`, 60 s), so one instance at a time attempts a delivery, and one that dies
 * mid-attempt leaves it to another when the lease runs out. Endpoints never wait for each other
 * (docs/api.md "Change events"): a claim takes at most `PER_ENDPOINT` attempts in flight per endpoint
 * and `PER_ORGANIZATION` per organization (counting every instance's leases), and `IN_FLIGHT_MAX`
 * on this instance; each attempt runs as
 * its own promise with one 15 s deadline, and the moment any ends the instance claims again. So an
 * endpoint that hangs holds its own few places (an organization's hanging endpoints, its own
 * share), and every other endpoint's deliveries go on. The
 * results are recorded together as they come, each fenced on its lease, so a late instance never
 * overwrites another's.
 */
export class WebhookDeliverer {
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #reclaim: NodeJS.Timeout | undefined;
  #inFlight = 0;
  readonly #attempts = new Set<Promise<void>>();
  /** Attempts that ended, waiting to be recorded. */
  #finished: { lease: string; outcome: Outcome }[] = [];

  constructor(
    private readonly db: Db,
    private readonly service: WebhookService,
    private readonly log: { error(object: unknown, message: string): void },
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.kick(), POLL_MS);
    this.#timer.unref();
  }

  /** Claims what is due now, as far as there is room (and again after, when asked meanwhile). */
  kick(): Promise<void> {
    return this.#delivering.run();
  }

  /** Deliveries were queued: attempts them within `GATHER_MS`, with those queued meanwhile. */
  queued(): void {
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.kick();
    }, GATHER_MS);
  }

  /** One claim: as many due deliveries as there is room for, each attempt started on its own. */
  readonly #delivering = new CoalescedWork(async () => {
    const room = IN_FLIGHT_MAX - this.#inFlight;
    if (room <= 0) return false;
    const claimed = await this.#claim(room).catch((error) => {
      this.log.error({ err: error }, 'claiming webhook deliveries failed');
      return [];
    });
    if (!claimed.length) return false;
    // The endpoints of the claim, read once for all its deliveries.
    const endpoints = await this.db
      .select()
      .from(webhooks)
      .where(inArray(webhooks.id, [...new Set(claimed.map((delivery) => delivery.row.webhook_id))]))
      .catch((error) => {
        this.log.error({ err: error }, 'reading webhook endpoints failed');
        return [];
      });
    const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
    for (const { lease, row } of claimed) {
      const webhook = byId.get(row.webhook_id);
      if (webhook) this.#start(lease, webhook, row);
    }
    // A full claim may have left more due: claim again at once.
    return claimed.length === room;
  });

  /** Runs one attempt on its own: when it ends, its result is recorded and the next claim made. */
  #start(lease: string, webhook: WebhookRow, row: Claimed): void {
    this.#inFlight++;
    const running = this.#attempt(webhook, row)
      .then((outcome) => {
        if (!outcome) return;
        this.#finished.push({ lease, outcome });
        void this.#recording.run();
      })
      .finally(() => {
        this.#inFlight--;
        this.#attempts.delete(running);
        // The next claim follows at once, with whatever else ended meanwhile.
        this.#reclaim ??= setTimeout(() => {
          this.#reclaim = undefined;
          void this.kick();
        }, RECLAIM_MS).unref();
      });
    this.#attempts.add(running);
  }

  /** Records the attempts that ended, together, in one statement. */
  readonly #recording = new CoalescedWork(async () => {
    const batch = this.#finished.splice(0);
    if (!batch.length) return false;
    await this.#settle(batch).catch((error) =>
      this.log.error({ err: error }, 'recording webhook deliveries failed'),
    );
    return this.#finished.length > 0;
  });

  /** Stops claiming, lets the attempts in flight end (each within its deadline), and records them. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    clearTimeout(this.#reclaim);
    await this.#delivering.stop();
    await Promise.allSettled([...this.#attempts]);
    await this.#recording.run();
    await this.#recording.stop();
  }

  /**
   * Leases up to `room` due deliveries, at most `PER_ENDPOINT` in flight per endpoint and
   * `PER_ORGANIZATION` per organization, counting the leases every instance holds. Two instances
   * may pick the same row: the update takes it only where no lease holds it by then, so each
   * delivery goes to one of them.
   */
  async #claim(room: number): Promise<{ lease: string; row: Claimed }[]> {
    const lease = randomUUID();
    const rows = rowsOf<Claimed>(
      await this.db.execute(sql`
        with due as (
          select id, webhook_id, organization_id, next_attempt_at,
            row_number() over (partition by webhook_id order by next_attempt_at, id) as place
          from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now() and (locked_until is null or locked_until < now())
        ),
        busy as (
          select webhook_id, organization_id, count(*) as n from webhook_deliveries
          where status = 'pending' and locked_until >= now()
          group by webhook_id, organization_id
        ),
        endpoint_open as (
          select due.id, due.organization_id, due.next_attempt_at,
            row_number() over (partition by due.organization_id order by due.next_attempt_at, due.id) as place
          from due
          left join (select webhook_id, sum(n) as n from busy group by webhook_id) held using (webhook_id)
          where due.place + coalesce(held.n, 0) <= ${PER_ENDPOINT}
        ),
        picked as (
          select endpoint_open.id from endpoint_open
          left join (select organization_id, sum(n) as n from busy group by organization_id) held using (organization_id)
          where endpoint_open.place + coalesce(held.n, 0) <= ${PER_ORGANIZATION}
          order by endpoint_open.next_attempt_at
          limit ${room}
        )
        update webhook_deliveries d set lease_id = ${lease},
          locked_until = now() + make_interval(secs => ${this.service.settings.leaseMs / 1000})
        from picked
        where d.id = picked.id and d.status = 'pending' and (d.locked_until is null or d.locked_until < now())
        returning d.id, d.webhook_id, d.event_id, d.type, d.body, d.attempts`),
    );
    return rows.map((row) => ({ lease, row }));
  }

  /** One attempt of a claimed delivery: what to record of it (null when it could not be made). */
  async #attempt(webhook: WebhookRow, delivery: Claimed): Promise<Outcome | null> {
    const test = delivery.type === WEBHOOK_TEST_EVENT;
    try {
      if (!webhook.enabled && !test) {
        const attempt = {
          at: new Date().toISOString(),
          statusCode: null,
          durationMs: 0,
          error: 'The endpoint is disabled',
          responseBody: null,
        };
        return {
          id: delivery.id,
          webhook,
          counts: false,
          status: 'failed',
          next: null,
          attempt,
          gone: false,
        };
      }
      const secrets = [this.service.box.open(webhook.secretEncrypted)];
      if (
        webhook.previousSecretEncrypted &&
        webhook.previousSecretExpiresAt &&
        webhook.previousSecretExpiresAt > new Date()
      ) {
        secrets.push(this.service.box.open(webhook.previousSecretEncrypted));
      }
      const timestamp = Math.floor(Date.now() / 1000);
      const at = new Date().toISOString();
      const result = await send(
        webhook.url,
        {
          'webhook-id': delivery.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature(secrets, delivery.event_id, timestamp, delivery.body),
          'user-agent': 'Switchboard-Webhooks/1',
        },
        delivery.body,
        { allowPrivate: this.service.settings.allowPrivate, deadlineMs: ATTEMPT_DEADLINE_MS },
      );
      const attempt: Attempt = {
        at,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error,
        responseBody: result.responseBody,
      };
      const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      if (delivered) {
        return {
          id: delivery.id,
          webhook,
          counts: !test,
          status: 'delivered',
          next: null,
          attempt,
          gone: false,
        };
      }
      const attempts = (
        typeof delivery.attempts === 'string' ? JSON.parse(delivery.attempts) : delivery.attempts
      ) as Attempt[];
      const schedule = this.service.settings.retryScheduleMs;
      const done = attempts.length + 1;
      const gone = result.statusCode === 410;
      let next: Date | null = null;
      if (!gone && done <= schedule.length) {
        const jittered = schedule[done - 1]! * (0.8 + Math.random() * 0.4);
        next = new Date(Date.now() + Math.max(jittered, result.retryAfterMs ?? 0));
      }
      return {
        id: delivery.id,
        webhook,
        counts: !test,
        status: next ? 'pending' : 'failed',
        next,
        attempt,
        gone,
      };
    } catch (error) {
      this.log.error({ err: error, deliveryId: delivery.id }, 'webhook delivery failed');
      return null;
    }
  }

  /**
   * Records attempts in one statement, each fenced on its lease (a late instance never overwrites
   * another's result), then their endpoints' state: one that delivered is not failing; one that
   * only failed is failing (and may be disabled); one that answered 410 is disabled.
   */
  async #settle(finished: { lease: string; outcome: Outcome }[]): Promise<void> {
    if (!finished.length) return;
    const outcomes = finished.map(({ outcome }) => outcome);
    const results = JSON.stringify(
      finished.map(({ lease, outcome }) => ({
        id: outcome.id,
        lease,
        status: outcome.status,
        next: outcome.next?.toISOString() ?? null,
        attempt: outcome.attempt,
      })),
    );
    await this.db.execute(sql`
      update webhook_deliveries d set status = r.status, attempts = d.attempts || jsonb_build_array(r.attempt),
        next_attempt_at = r.next, lease_id = null, locked_until = null
      from jsonb_to_recordset(${results}::jsonb) as r(id uuid, lease uuid, status text, next timestamptz, attempt jsonb)
      where d.id = r.id and d.lease_id = r.lease`);
    const endpoints = new Map<
      string,
      { webhook: WebhookRow; delivered: boolean; failed: boolean; gone: boolean }
    >();
    for (const outcome of outcomes) {
      if (!outcome.counts) continue;
      const endpoint = endpoints.get(outcome.webhook.id) ?? {
        webhook: outcome.webhook,
        delivered: false,
        failed: false,
        gone: false,
      };
      if (outcome.status === 'delivered') endpoint.delivered = true;
      else endpoint.failed = true;
      endpoint.gone ||= outcome.gone;
      endpoints.set(outcome.webhook.id, endpoint);
    }
    const recovered = [...endpoints.values()]
      .filter((endpoint) => endpoint.delivered && endpoint.webhook.failingSince && !endpoint.gone)
      .map((endpoint) => endpoint.webhook.id);
    if (recovered.length) {
      await this.db.update(webhooks).set({ failingSince: null }).where(inArray(webhooks.id, recovered));
    }
    for (const endpoint of endpoints.values()) {
      if (endpoint.gone || (endpoint.failed && !endpoint.delivered)) {
        await this.#failing(endpoint.webhook, endpoint.gone);
      }
    }
  }

  /**
   * A failed attempt: `410 Gone` disables the endpoint at once; so does failing every attempt for
   * `disableAfterMs`. Disabling is an audit event.
   */
  async #failing(webhook: WebhookRow, gone: boolean): Promise<void> {
    const since = webhook.failingSince ?? new Date();
    const reason = gone
      ? 'gone'
      : Date.now() - since.getTime() >= this.service.settings.disableAfterMs
        ? 'failing'
        : null;
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhooks)
        .set(
          reason
            ? { enabled: false, disabledReason: reason, failingSince: since, updatedAt: sql`now()` }
            : { failingSince: since },
        )
        .where(and(eq(webhooks.id, webhook.id), eq(webhooks.enabled, true)))
        .returning();
      if (row && reason) {
        await recordEvent(
          tx,
          {
            organizationId: row.organizationId,
            actor: { type: 'system', id: null, name: 'system' },
            requestId: randomUUID(),
          },
          'webhook.disabled',
          resource(row),
        );
      }
    });
  }
}
