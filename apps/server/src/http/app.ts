import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ERROR_STATUS, type ErrorCode } from '@switchboard/contract';
import type { Database } from '@switchboard/db';
import { TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import Fastify, { type FastifyError } from 'fastify';
import type { AppConfig } from '../core/config';
import { describeError, errorBody } from '../core/errors';
import { scrubbingLoggerOptions } from '../core/logging';
import { ApiKeyCache } from '../features/apiKeys/apiKeys';
import { ActorCache } from '../features/auth/actors';
import { forgetChangedCredentials } from '../features/auth/forgetting';
import { TokenService } from '../features/auth/tokens';
import { ChangeEvents } from '../features/events/events';
import { OutcomeAggregator } from '../features/outcomes/aggregator';
import { GuardWatcher } from '../features/outcomes/guardWatcher';
import { ReportReader } from '../features/outcomes/reportReader';
import { WebhookDeliverer } from '../features/webhooks/deliverer';
import { queueDeliveries, WebhookService } from '../features/webhooks/webhooks';
import { type AppRouter, appRouter } from '../router';
import { createContext, type Deps } from './context';
import { registerDashboard } from './dashboard';
import { drainRefusedBody } from './drainRefusedBody';
import { registerJsonBodies } from './jsonBody';
import { databaseRateLimiter } from './rateLimit';
import { registerRestRoutes } from './rest/adapter';
import { registerEventStream } from './rest/events';
import { IdempotencyStore } from './rest/idempotency';
import { buildOpenApiDocument } from './rest/openapi';
import { restOperations } from './rest/routes';
import { registerSecurityHeaders } from './securityHeaders';
import { Lifecycle } from './shutdown';
import { type TrpcHttpOptions, trpcHttp } from './trpcHttp';

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether the instance is draining (readiness 503) before it shuts down. */
    lifecycle: Lifecycle;
  }
}

export interface BuildAppOptions {
  database: Database;
  config: AppConfig;
  /** `false`: no log; a stream (and level): the log goes there instead of stdout (tests read it). */
  logger?: false | { stream: { write(line: string): void }; level?: string };
}

export const BODY_LIMIT_BYTES = 1_048_576;
/** The most calls one tRPC batch may carry (docs/api.md "Transport"). */
export const TRPC_BATCH_MAX = 50;
const REQUEST_ID = /^[\w.:-]{1,128}$/;
const CODE_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/** What every request shares: the database, the config, the token and actor caches, the rate limiter. */
export function createDeps(
  database: Database,
  config: AppConfig,
  log: { error(object: unknown, message: string): void } = console,
): Deps {
  const webhooks = new WebhookService(database.db, {
    serverSecret: config.jwtSecret,
    allowPrivate: config.webhookAllowPrivate,
    retryScheduleMs: config.webhookRetryScheduleMs,
    disableAfterMs: config.webhookDisableAfterMs,
    leaseMs: config.webhookLeaseMs,
  });
  const deliverer = new WebhookDeliverer(database.db, webhooks, log);
  const outcomes = new OutcomeAggregator(database.db, config.outcomeFlushMs, log);
  return {
    db: database.db,
    config,
    tokens: new TokenService(config.jwtSecret, config.accessTokenTtlSeconds),
    actors: new ActorCache(database.db),
    apiKeys: new ApiKeyCache(database.db, config.apiKeyUsageFlushMs),
    idempotency: new IdempotencyStore(database.db, { takeoverMs: config.idempotencyTakeoverMs }),
    authRateLimiter: databaseRateLimiter(database.db, config.authRateLimit),
    events: new ChangeEvents(
      database,
      log,
      { queue: queueDeliveries, queued: () => deliverer.queued() },
      config.eventStreamsPerOrganization,
    ),
    webhooks,
    deliverer,
    outcomes,
    reportReader: new ReportReader(log),
    guards: new GuardWatcher(database.db, config.guardIntervalMs, log, () => outcomes.flush()),
  };
}

/** How tRPC serves the router over HTTP: the context per request, error logging, error headers. */
export function trpcOptions(deps: Deps): TrpcHttpOptions<AppRouter> {
  return {
    router: appRouter,
    maxBatchSize: TRPC_BATCH_MAX,
    bodyLimits: new Map(
      restOperations().flatMap((operation) =>
        operation.bodyLimit ? [[operation.procedure, operation.bodyLimit] as const] : [],
      ),
    ),
    createContext: (req, reply) => createContext(deps, req, reply),
    onError({ error, req }) {
      if (describeError(error).unexpected) req.log.error({ err: error }, 'procedure failed');
    },
    responseMeta({ errors }) {
      const headers = Object.assign({}, ...errors.map((error) => describeError(error).headers));
      return { headers };
    },
  };
}

/**
 * The methods each path of the API takes (its REST operations, the event stream, health and the
 * OpenAPI document; HEAD wherever GET is), for the 405 of a method it does not take.
 */
function methodsByPath(): (path: string) => string[] | null {
  const routes = new Map<string, Set<string>>();
  const add = (path: string, method: string) => routes.set(path, (routes.get(path) ?? new Set()).add(method));
  for (const operation of restOperations()) add(`/api/v1${operation.path}`, operation.method);
  for (const path of ['/api/v1/events', '/api/v1/openapi.json', '/health', '/health/ready']) add(path, 'GET');
  const matchers = [...routes].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
    methods,
  }));
  return (path) => {
    const methods = new Set<string>();
    for (const matcher of matchers) {
      if (matcher.pattern.test(path)) for (const method of matcher.methods) methods.add(method);
    }
    if (!methods.size) return null;
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/**
 * The Fastify instance with every route (docs/architecture.md "The request path"); `main.ts`
 * listens on it, tests start it on a free port.
 */
export async function buildApp({ database, config, logger }: BuildAppOptions) {
  const app = Fastify({
    logger: logger === false ? false : { level: config.logLevel, ...logger, ...scrubbingLoggerOptions },
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a load balancer: whose X-Forwarded-For to believe (unset: nobody's).
    trustProxy: trustProxy(config.trustProxy),
    routerOptions: { maxParamLength: 5000 },
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });

  const deps = createDeps(database, config, app.log);
  await deps.events.start();
  deps.deliverer.start();
  deps.outcomes.start();
  deps.guards.start();
  const stopForgetting = await forgetChangedCredentials(database, deps);
  // The last use of API keys is written before the database closes.
  app.addHook('onClose', async () => {
    await stopForgetting().catch(() => {});
    deps.idempotency.close();
    await deps.apiKeys.close();
    await deps.events.close();
    await deps.deliverer.close();
    await deps.guards.close();
    // What this instance received and has not flushed yet reaches the database before it closes.
    await deps.outcomes.close();
    await deps.reportReader.close();
  });

  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });

  // From the start of a drain, answer every request with `connection: close`, so keep-alive
  // sockets (a client's, a balancer's) do not carry the next request here, nor hold the shutdown
  // open until they time out.
  const lifecycle = new Lifecycle();
  app.decorate('lifecycle', lifecycle);
  // A connection that never sent a request (a client's or a balancer's spare) is not idle to Node,
  // and would hold the close open until its headers time out: it goes when the server closes.
  const unused = new Set<Duplex>();
  app.server.on('connection', (socket: Duplex) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  app.server.on('request', (req: IncomingMessage) => unused.delete(req.socket));
  app.addHook('preClose', async () => {
    lifecycle.draining = true;
    for (const socket of unused) socket.destroy();
    deps.events.endStreams();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  });

  const readJson = registerJsonBodies(app);

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    // Refused before its body was read (413, 415): read the rest of the body after the answer, so
    // the client receives the answer instead of a reset connection (Fastify would close at once).
    if (!req.raw.complete) {
      reply.removeHeader('connection');
      drainRefusedBody(req.raw);
    }
    if (!(error instanceof TRPCError) && status >= 400 && status < 500) {
      const code = CODE_BY_STATUS.get(status) ?? 'BAD_REQUEST';
      const message =
        status === 413
          ? `Request body is larger than ${req.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES} bytes`
          : error.message;
      // Refused before tRPC saw it (413, 415): tRPC's own error shape, which the typed client reads.
      const body = req.url.startsWith('/trpc/')
        ? trpcErrorBody(code, message)
        : errorBody({ code, message, details: {} });
      return reply.code(ERROR_STATUS[code]).send(body);
    }
    const described = describeError(error);
    if (described.unexpected) req.log.error({ err: error }, 'request failed');
    return reply.code(described.status).headers(described.headers).send(errorBody(described));
  });

  // A path the API serves, asked with a method it does not take: 405 with `Allow`; else 404.
  const allowedOn = methodsByPath();
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = allowedOn(path);
    if (allowed) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(
          errorBody({
            code: 'METHOD_NOT_ALLOWED',
            message: `${path} does not take ${req.method}; it takes ${allowed.join(', ')}`,
            details: { allow: allowed },
          }),
        );
    }
    return reply
      .code(404)
      .send(errorBody({ code: 'NOT_FOUND', message: `Route ${req.method} ${path} not found`, details: {} }));
  });

  // Node hands a CONNECT request to 'connect' listeners instead of routes, and drops the
  // connection when there are none: answer it as any other method no route serves.
  app.server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify(
      errorBody({ code: 'NOT_FOUND', message: `Route CONNECT ${req.url ?? ''} not found`, details: {} }),
    );
    socket.end(
      'HTTP/1.1 404 Not Found\r\ncontent-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  registerSecurityHeaders(app, {
    // Swagger UI loads only its own scripts; no upgrade to https for a server on plain http.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    exposedHeaders: ['etag', 'idempotent-replayed', 'x-request-id'],
  });

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_req, reply) => {
    if (lifecycle.draining) return reply.code(503).send({ status: 'draining' });
    try {
      await withTimeout(database.ping(), 2000);
      return { status: 'ready' };
    } catch {
      return reply
        .code(503)
        .send(
          errorBody({ code: 'SERVICE_UNAVAILABLE', message: 'The database does not answer', details: {} }),
        );
    }
  });

  await app.register(trpcHttp<AppRouter>, { prefix: '/trpc', ...trpcOptions(deps) });

  registerRestRoutes(app, deps, readJson);
  registerEventStream(app, deps, lifecycle, config.eventStreamStallMs);

  const document = buildOpenApiDocument();
  app.get('/api/v1/openapi.json', async () => document);
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await registerDashboard(app, config.dashboardDir);

  return app;
}

/**
 * An error as tRPC answers it (the `errorFormatter` in `trpc.ts`), for a request refused before it
 * reached tRPC: the typed client then raises a `TRPCClientError` whose `data.code` is `code`. A
 * batch gets the one error for every call in it.
 */
function trpcErrorBody(code: ErrorCode, message: string) {
  const jsonRpcCode = TRPC_ERROR_CODES_BY_KEY[code as keyof typeof TRPC_ERROR_CODES_BY_KEY] ?? -32600;
  return {
    error: { code: jsonRpcCode, message, data: { code, httpStatus: ERROR_STATUS[code], details: {} } },
  };
}

/** `TRUST_PROXY` as Fastify takes it: a hop count trusts that many proxies nearest the server. */
function trustProxy(setting: AppConfig['trustProxy']) {
  if (typeof setting !== 'number') return setting;
  return (_address: string, hop: number) => hop < setting;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
