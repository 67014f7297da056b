import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import {
  type CreateWebhookInput,
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
import { and, asc, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { AppError, notFound } from '../../core/errors';
import { afterCursor, keysetPage } from '../../core/pagination';
import { type Attribution, recordEvent, toAuditEvent } from '../history/history';
import { hostOf, isNonPublicAddress, resolveAll } from './webhookHttp';

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

export interface Attempt {
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

export const resource = (row: WebhookRow) => ({ type: 'webhook' as const, id: row.id, name: row.url });

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
    const rows = await this.db
      .select()
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.webhookId, query.id),
          query.status === undefined ? undefined : eq(webhookDeliveries.status, query.status),
          afterCursor(query.cursor, webhookDeliveries.createdAt, webhookDeliveries.id),
        ),
      )
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(query.limit + 1);
    const page = keysetPage(rows, query.limit, (row) => row);
    return { items: page.items.map(toDelivery), nextCursor: page.nextCursor };
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
