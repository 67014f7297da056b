import { z } from 'zod';
import { Id, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, pageOf, Timestamp, text } from './common';
import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, DELIVERY_STATUSES } from './enums';

/** The start of every webhook signing secret (Standard Webhooks). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The type of the event `webhooks.test` sends (no audit event; its sequence is null). */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** Every filter an endpoint may subscribe with: `*`, a kind with `*` (`sessionTemplate.*`), or an audit action. */
export const EVENT_TYPE_FILTERS: readonly string[] = [
  '*',
  ...AUDIT_RESOURCE_TYPES.map((kind) => `${kind}.*`),
  ...AUDIT_ACTIONS,
];

/** An audit action (`sessionTemplate.updated`), a kind with `*` (`sessionTemplate.*`), or `*`. */
export const EventTypeFilter = z
  .string()
  .refine(
    (value) => EVENT_TYPE_FILTERS.includes(value),
    'Must be an audit action (sessionTemplate.updated), a kind with * (sessionTemplate.*), or *',
  )
  .meta({ enum: [...EVENT_TYPE_FILTERS] });

/** Whether an event of `action` passes the filters. */
export function matchesEventTypes(eventTypes: readonly string[], action: string): boolean {
  const kind = `${action.slice(0, action.indexOf('.'))}.*`;
  return eventTypes.some((filter) => filter === '*' || filter === action || filter === kind);
}

/** An `http(s)` address without credentials in it. */
export const WebhookUrl = text()
  .max(2000)
  .refine((value) => {
    if (!/^https?:\/\//i.test(value)) return false;
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'Must be an http or https URL without credentials')
  .meta({ format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' });

export const Webhook = z
  .object({
    id: Id,
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    /** Why it was disabled (`gone`: the endpoint answered 410; `failing`: every attempt failed for days); null when enabled or disabled by hand. */
    disabledReason: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof Webhook>;

export const WebhookList = z.object({ items: z.array(Webhook) }).meta({ id: 'WebhookList' });

const eventTypes = z
  .array(EventTypeFilter)
  .min(1)
  .max(100)
  .refine((values) => new Set(values).size === values.length, 'eventTypes must not contain duplicates')
  .meta({ uniqueItems: true });

export const CreateWebhookInput = z
  .strictObject({
    url: WebhookUrl,
    description: text().max(500).nullable().optional(),
    eventTypes,
  })
  .meta({ id: 'CreateWebhookInput' });
export type CreateWebhookInput = z.input<typeof CreateWebhookInput>;

export const UpdateWebhookInput = z
  .strictObject({
    id: Id,
    url: WebhookUrl.optional(),
    description: text().max(500).nullable().optional(),
    eventTypes: eventTypes.optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateWebhookInput' });
export type UpdateWebhookInput = z.input<typeof UpdateWebhookInput>;

/** The answer of a create: the endpoint and its signing secret, shown this once. */
export const CreatedWebhook = z
  .object({ webhook: Webhook, secret: z.string() })
  .meta({ id: 'CreatedWebhook' });
export const WebhookSecret = z.object({ secret: z.string() }).meta({ id: 'WebhookSecret' });

export const DeliveryAttempt = z
  .object({
    at: Timestamp,
    /** The answer's status; null when there was none (refused address, timeout, connection error). */
    statusCode: z.int().nullable(),
    durationMs: z.int(),
    error: z.string().nullable(),
    /** The answer's first 1 KiB. */
    responseBody: z.string().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const Delivery = z
  .object({
    id: Id,
    eventId: Id,
    type: z.string(),
    sequence: z.int().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.array(DeliveryAttempt),
    nextAttemptAt: Timestamp.nullable(),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof Delivery>;

export const DeliveryPage = pageOf(Delivery).meta({ id: 'DeliveryPage' });

export const DeliveryListInput = z.strictObject({
  id: Id,
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
  cursor: text().min(1).max(200).optional(),
});

export const DeliveryInput = z.strictObject({ id: Id, deliveryId: Id });
export const RecoverInput = z.strictObject({ id: Id, since: Timestamp }).meta({ id: 'RecoverInput' });
export const DeliveryQueued = z.object({ deliveryId: Id }).meta({ id: 'DeliveryQueued' });
export const RecoveredCount = z.object({ count: z.int() }).meta({ id: 'RecoveredCount' });
