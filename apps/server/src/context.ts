import type { Db } from '@switchboard/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ActorCache } from './auth/actors';
import type { TokenService } from './auth/tokens';
import type { AppConfig } from './config';
import type { RateLimiter } from './rateLimit';
import type { IdempotencyStore } from './rest/idempotency';
import type { ApiKeyCache } from './services/apiKeys';
import type { ChangeEvents } from './services/events';
import type { OutcomeAggregator } from './services/outcomes/aggregator';
import type { GuardWatcher } from './services/outcomes/guardWatcher';
import type { WebhookDeliverer } from './services/webhookDeliverer';
import type { WebhookService } from './services/webhooks';

/** What the server is built from, shared by every request. */
export interface Deps {
  db: Db;
  config: AppConfig;
  tokens: TokenService;
  actors: ActorCache;
  apiKeys: ApiKeyCache;
  idempotency: IdempotencyStore;
  authRateLimiter: RateLimiter;
  /** Change events: their numbering, and the wake-up of live streams. */
  events: ChangeEvents;
  webhooks: WebhookService;
  /** Attempts due webhook deliveries (shared with every instance through leases). */
  deliverer: WebhookDeliverer;
  /** Session outcomes received here, aggregated until the next flush. */
  outcomes: OutcomeAggregator;
  /** Judges guarded canaries (one instance at a time). */
  guards: GuardWatcher;
}

export interface Context extends Deps {
  /** The bearer token of the `Authorization` header, unverified. */
  bearer: string | null;
  clientIp: string;
  /** The request's `x-request-id`, recorded on every audit event it causes. */
  requestId: string;
}

function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function createContext(deps: Deps, req: FastifyRequest, _reply?: FastifyReply): Context {
  return {
    ...deps,
    bearer: bearerOf(req.headers.authorization),
    clientIp: req.ip,
    requestId: String(req.id),
  };
}
