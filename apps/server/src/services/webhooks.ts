import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import {
  type CreateWebhookInput,
  type DELIVERY_STATUSES,
  type Delivery,
  type DeliveryListInput,
  matchesEventTypes,
  type UpdateWebhookInput,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_TEST_EVENT,
  type Webhook,
} from '@switchboard/contract';
import {
  auditEvents,
  type Db,
  type WebhookDeliveryRow,
  type WebhookRow,
  webhookDeliveries,
  webhooks,
} from '@switchboard/db';
import { and, asc, desc, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound } from '../errors';
import { CoalescedWork } from './coalesced';
import { rowsOf } from './db';
import { type Attribution, recordEvent, toAuditEvent } from './history';
import { decodeCursor, encodeCursor } from './pagination';
import { hostOf, isNonPublicAddress, resolveAll, send, signature } from './webhookHttp';

/** What the webhook services need of the configuration. */
export interface WebhookSettings {
  /** The server's secret, from which the key that encrypts signing secrets is derived. */
  serverSecret: string;
  allowPrivate: boolean;
  retryScheduleMs: number[];
  disableAfterMs: number;
  /** How long a claim holds a delivery (a dead instance's passes to another after it). */
  leaseMs: number;
}

/** Signing secrets at rest: AES-256-GCM under a key derived from the server's secret. */
export class SecretBox {
  readonly #key: Buffer;
  constructor(serverSecret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', serverSecret, 'switchboard', 'webhook signing secrets', 32));
  }
  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')).join('.');
  }
  open(sealed: string): string {
    const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv!);
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(data!), decipher.final()]).toString('utf8');
  }
}

/** `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

interface Attempt {
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

function toDelivery(row: WebhookDeliveryRow): Delivery {
  return {
    id: row.id,
    eventId: row.eventId,
    type: row.type,
    sequence: row.sequence,
    status: row.status,
    attempts: row.attempts as Attempt[],
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
  };
}

const resource = (row: WebhookRow) => ({ type: 'webhook' as const, id: row.id, name: row.url });

/**
 * A URL whose host is (or resolves to) only non-public addresses is refused (400) unless the
 * server allows them; a name that does not resolve now is accepted (every delivery checks again).
 */
async function checkAddress(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(new URL(url));
  const addresses = await resolveAll(host).catch(() => []);
  if (addresses.length && addresses.every(isNonPublicAddress)) {
    throw new AppError(
      'BAD_REQUEST',
      `${host} is not a public address; webhooks reach public addresses only`,
      {
        issues: [{ path: ['url'], message: 'Must reach a public address' }],
      },
    );
  }
}

export class WebhookService {
  readonly box: SecretBox;
  constructor(
    private readonly db: Db,
    readonly settings: WebhookSettings,
  ) {
    this.box = new SecretBox(settings.serverSecret);
  }

  async #find(organizationId: string, id: string): Promise<WebhookRow> {
    const [row] = await this.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, organizationId)));
    if (!row) throw notFound('Webhook', id);
    return row;
  }

  async create(by: Attribution, input: z.output<typeof CreateWebhookInput>) {
    await checkAddress(input.url, this.settings.allowPrivate);
    const secret = newWebhookSecret();
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(webhooks)
        .values({
          organizationId: by.organizationId,
          url: input.url,
          description: input.description ?? null,
          eventTypes: input.eventTypes,
          secretEncrypted: this.box.seal(secret),
        })
        .returning();
      await recordEvent(tx, by, 'webhook.created', resource(row!));
      return { webhook: toWebhook(row!), secret };
    });
  }

  async list(organizationId: string) {
    const rows = await this.db
      .select()
      .from(webhooks)
      .where(eq(webhooks.organizationId, organizationId))
      .orderBy(desc(webhooks.createdAt), desc(webhooks.id));
    return { items: rows.map(toWebhook) };
  }

  async update(by: Attribution, input: z.output<typeof UpdateWebhookInput>): Promise<Webhook> {
    if (input.url !== undefined) await checkAddress(input.url, this.settings.allowPrivate);
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhooks)
        .set({
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
          // Enabled again by hand: the reason it was disabled goes, and so does its failing streak.
          ...(input.enabled !== undefined
            ? {
                enabled: input.enabled,
                disabledReason: null,
                ...(input.enabled ? { failingSince: null } : {}),
              }
            : {}),
          updatedAt: sql`now()`,
        })
        .where(and(eq(webhooks.id, input.id), eq(webhooks.organizationId, by.organizationId)))
        .returning();
      if (!row) throw notFound('Webhook', input.id);
      await recordEvent(tx, by, 'webhook.updated', resource(row));
      return toWebhook(row);
    });
  }

  async delete(by: Attribution, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(webhooks)
        .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, by.organizationId)))
        .returning();
      if (!row) throw notFound('Webhook', id);
      await recordEvent(tx, by, 'webhook.deleted', resource(row));
    });
  }

  /** A new secret; the previous one also signs for 24 hours. */
  async rotateSecret(by: Attribution, id: string): Promise<{ secret: string }> {
    const secret = newWebhookSecret();
    // The rotation and its audit event (`webhook.secretRotated`, never the secret) commit together.
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhooks)
        .set({
          secretEncrypted: this.box.seal(secret),
          previousSecretEncrypted: sql`${webhooks.secretEncrypted}`,
          previousSecretExpiresAt: sql`now() + interval '24 hours'`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, by.organizationId)))
        .returning();
      if (!row) throw notFound('Webhook', id);
      await recordEvent(tx, by, 'webhook.secretRotated', resource(row));
    });
    return { secret };
  }

  /** Queues a `webhook.test` event for the endpoint (no audit event; its sequence is null). */
  async test(organizationId: string, id: string): Promise<{ deliveryId: string }> {
    const webhook = await this.#find(organizationId, id);
    const body = JSON.stringify({
      type: WEBHOOK_TEST_EVENT,
      timestamp: new Date().toISOString(),
      sequence: null,
      data: { webhookId: webhook.id },
    });
    const [row] = await this.db
      .insert(webhookDeliveries)
      .values({
        webhookId: webhook.id,
        organizationId,
        eventId: randomUUID(),
        type: WEBHOOK_TEST_EVENT,
        sequence: null,
        body,
        nextAttemptAt: sql`now()`,
      })
      .returning({ id: webhookDeliveries.id });
    return { deliveryId: row!.id };
  }

  /** A page of an endpoint's deliveries, newest first. */
  async deliveries(organizationId: string, query: z.output<typeof DeliveryListInput>) {
    await this.#find(organizationId, query.id);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.db
      .select()
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.webhookId, query.id),
          query.status === undefined ? undefined : eq(webhookDeliveries.status, query.status),
          after === undefined
            ? undefined
            : or(
                lt(webhookDeliveries.createdAt, new Date(after.createdAt)),
                and(
                  eq(webhookDeliveries.createdAt, new Date(after.createdAt)),
                  lt(webhookDeliveries.id, after.id),
                ),
              ),
        ),
      )
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(query.limit + 1);
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(toDelivery),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  /**
   * Sends one delivery again, now (202); 409 `inFlight` while an instance is attempting it (its
   * lease holds it), so a delivery is never sent twice at once.
   */
  async retry(organizationId: string, id: string, deliveryId: string): Promise<void> {
    await this.#find(organizationId, id);
    const ofEndpoint = and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, id));
    const [row] = await this.db
      .update(webhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: sql`now()`, leaseId: null, lockedUntil: null })
      .where(
        and(
          ofEndpoint,
          sql`(${webhookDeliveries.lockedUntil} is null or ${webhookDeliveries.lockedUntil} < now())`,
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (row) return;
    const [held] = await this.db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(ofEndpoint);
    if (!held) throw notFound('Delivery', deliveryId);
    throw new AppError(
      'CONFLICT',
      'This delivery is being attempted now; retry it once the attempt has ended',
      {
        reason: 'inFlight',
      },
    );
  }

  /** Sends every failed delivery since `since` again (202 with their count). */
  async recover(organizationId: string, id: string, since: string): Promise<{ count: number }> {
    await this.#find(organizationId, id);
    const rows = await this.db
      .update(webhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: sql`now()`, leaseId: null, lockedUntil: null })
      .where(
        and(
          eq(webhookDeliveries.webhookId, id),
          eq(webhookDeliveries.status, 'failed'),
          gte(webhookDeliveries.createdAt, new Date(since)),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    return { count: rows.length };
  }
}

/**
 * Queues a delivery of each numbered event (`seqs`) to every enabled endpoint of its organization
 * whose filters take it, in the transaction that numbered the events (so each event is queued
 * exactly once, and only once it is visible). Answers how many it queued.
 */
export async function queueDeliveries(tx: Db, seqs: number[], organizationIds: string[]): Promise<number> {
  if (!seqs.length) return 0;
  const endpoints = await tx
    .select({ id: webhooks.id, organizationId: webhooks.organizationId, eventTypes: webhooks.eventTypes })
    .from(webhooks)
    .where(and(inArray(webhooks.organizationId, organizationIds), eq(webhooks.enabled, true)));
  if (!endpoints.length) return 0;
  const rows = await tx
    .select()
    .from(auditEvents)
    .where(inArray(auditEvents.seq, seqs))
    .orderBy(asc(auditEvents.sequence));
  const values = endpoints.flatMap((endpoint) =>
    rows
      .filter(
        (row) =>
          row.organizationId === endpoint.organizationId &&
          matchesEventTypes(endpoint.eventTypes, row.action),
      )
      .map((row) => {
        const event = toAuditEvent(row);
        return {
          webhookId: endpoint.id,
          organizationId: endpoint.organizationId,
          eventId: event.id,
          type: event.action,
          sequence: event.sequence,
          body: JSON.stringify({
            type: event.action,
            timestamp: event.at,
            sequence: event.sequence,
            data: event,
          }),
          nextAttemptAt: sql`now()`,
        };
      }),
  );
  for (let start = 0; start < values.length; start += 500) {
    await tx.insert(webhookDeliveries).values(values.slice(start, start + 500));
  }
  return values.length;
}

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
