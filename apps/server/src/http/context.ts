import type { Db } from '@switchboard/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../core/config';
import type { ApiKeyCache } from '../features/apiKeys/apiKeys';
import type { ActorCache } from '../features/auth/actors';
import type { TokenService } from '../features/auth/tokens';
import type { ChangeEvents } from '../features/events/events';
import type { OutcomeAggregator } from '../features/outcomes/aggregator';
import type { GuardWatcher } from '../features/outcomes/guardWatcher';
import type { ReportReader } from '../features/outcomes/reportReader';
import type { WebhookDeliverer } from '../features/webhooks/deliverer';
import type { WebhookService } from '../features/webhooks/webhooks';
import type { RateLimiter } from './rateLimit';
import type { IdempotencyStore } from './rest/idempotency';

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
  /** Reads outcome reports on a worker thread. */
  reportReader: ReportReader;
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
