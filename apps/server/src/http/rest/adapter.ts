import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../../core/errors';
import { requestHash } from '../../core/requestHash';
import { appRouter } from '../../router';
import { createContext, type Deps } from '../context';
import { JsonText, type ReadJson } from '../jsonBody';
import { authenticate, mayCall } from '../trpc';
import { proceduresOf } from '../trpcInternals';
import { checkIdempotencyKey, idempotencyScope, runOnce } from './idempotency';
import { matchesEtag, unchangedTag } from './revalidation';
import { jsonSchema, type RestOperation, restOperations } from './routes';

/**
 * The REST adapter: one Fastify route per procedure that has REST meta, calling that very
 * procedure (as tRPC calls it), so authorization and validation live only in the router. It owns only
 * HTTP: mapping path, query and body to the input, the success status, and (through the app's
 * error handler) the contract's error body.
 */
export const REST_PREFIX = '/api/v1';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How query and path fields reach the input: an integer field as a number (`?limit=20` → 20), a
 * boolean as one (`?dryRun=true`), an array field as a list (`?ids=a,b` or `?ids=a&ids=b` → ['a', 'b']).
 */
type UrlFieldKind = 'integer' | 'array' | 'boolean';
function urlFieldKinds(input: z.ZodType | undefined): Map<string, UrlFieldKind> {
  if (!input) return new Map();
  const schema = jsonSchema(input, 'input');
  return new Map(
    Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
      property.type === 'integer' || property.type === 'array' || property.type === 'boolean'
        ? [[name, property.type as UrlFieldKind] as const]
        : [],
    ),
  );
}

function inputOf(req: FastifyRequest, operation: RestOperation, kinds: Map<string, UrlFieldKind>): unknown {
  const params = req.params as Record<string, string>;
  let fields: Record<string, unknown> = {};
  const fromUrl = (key: string, value: unknown) => {
    const kind = kinds.get(key);
    if (kind === 'integer' && typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
    if (kind === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    if (kind === 'array' && (typeof value === 'string' || Array.isArray(value))) {
      return [value]
        .flat()
        .flatMap((item) => String(item).split(','))
        .filter((item) => item !== '');
    }
    return value;
  };
  const query = Object.entries(req.query as Record<string, unknown>).map(
    ([key, value]) => [key, fromUrl(key, value)] as const,
  );
  if (operation.method === 'GET') {
    fields = Object.fromEntries(query);
  } else {
    if (req.body !== undefined) {
      if (!isPlainObject(req.body)) {
        throw new AppError('BAD_REQUEST', 'The request body must be a JSON object', {
          issues: [{ path: [], message: 'Expected a JSON object' }],
        });
      }
      fields = { ...req.body };
    }
    // A query parameter of a write is the input field of its name, never silently dropped: an
    // unknown one is refused like an unknown body field, and one the body says otherwise is 400.
    const differing = query.filter(
      ([key, value]) => Object.hasOwn(fields, key) && JSON.stringify(fields[key]) !== JSON.stringify(value),
    );
    if (differing.length) {
      throw new AppError('BAD_REQUEST', 'The query and the body disagree', {
        issues: differing.map(([key]) => ({
          path: [key],
          message: 'Given differently in the query and the body',
        })),
      });
    }
    for (const [key, value] of query) fields[key] = value;
  }
  const clashes = [...operation.pathParams, ...(operation.omit ?? [])].filter((name) =>
    Object.hasOwn(fields, name),
  );
  if (clashes.length) {
    throw new AppError('BAD_REQUEST', `Invalid input: ${clashes.join(', ')} cannot be set here`, {
      issues: clashes.map((name) => ({ path: [name], message: `Unknown field "${name}"` })),
    });
  }
  if (!operation.input) return undefined;
  const input = { ...fields };
  for (const name of operation.pathParams) input[name] = fromUrl(name, params[name]);
  return input;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The kept copy of an answer: an answer that carries a one-time secret (`answersSecret`) is kept
 * without it, so no secret is ever stored.
 */
function keptBody(operation: RestOperation) {
  return (body: string | null): string | null => {
    if (!operation.answersSecret || body === null) return body;
    const { secret: _, ...rest } = JSON.parse(body) as Record<string, unknown>;
    return JSON.stringify(rest);
  };
}

/** The replay of a kept success whose secret was shown once: 409 naming what it was for. */
function secretShown(body: string | null): AppError {
  const kept = JSON.parse(body ?? '{}') as { apiKey?: { id?: string }; webhook?: { id?: string } };
  if (kept.apiKey) {
    return new AppError(
      'CONFLICT',
      'This request created an API key whose secret was shown once; revoke that key and create another',
      { reason: 'secretShown', apiKeyId: kept.apiKey.id },
    );
  }
  return new AppError(
    'CONFLICT',
    'This request made a signing secret that was shown once; rotate the secret to get another',
    { reason: 'secretShown', ...(kept.webhook ? { webhookId: kept.webhook.id } : {}) },
  );
}

export function registerRestRoutes(app: FastifyInstance, deps: Deps, readJson: ReadJson): void {
  for (const operation of restOperations()) {
    // The procedure itself, called as tRPC calls it (its middlewares, input and output validation),
    // without a caller proxy built and walked on every request.
    const procedure = proceduresOf(appRouter)[operation.procedure]!;
    const kinds = urlFieldKinds(operation.input);
    // What an idempotency key's hash names the operation by.
    const hashName = `${operation.method} ${operation.path}`;
    const status = operation.status ?? 200;
    app.route({
      method: operation.method,
      url: REST_PREFIX + operation.path.replace(/\{(\w+)\}/g, ':$1'),
      ...(operation.bodyLimit ? { bodyLimit: operation.bodyLimit } : {}),
      // A body the operation reads itself arrives as its text.
      ...(operation.readBody ? { config: { jsonText: true } } : {}),
      // The output schema lets Fastify serialise responses with fast-json-stringify.
      ...(operation.output && status !== 204
        ? { schema: { response: { [status]: jsonSchema(operation.output, 'output') } } }
        : {}),
      handler: async (req, reply) => {
        const context = createContext(deps, req);
        const run = (input: unknown) =>
          procedure({
            path: operation.procedure,
            getRawInput: async () => input,
            ctx: context,
            type: procedure._def.type,
            signal: undefined,
            batchIndex: 0,
          });

        // Idempotency keys: every POST but signup and login, for a caller the procedure would
        // serve (anyone else is refused by the procedure below, and never sees a kept answer).
        const key =
          operation.method === 'POST' && operation.access !== 'public'
            ? checkIdempotencyKey(req.headers['idempotency-key'])
            : undefined;
        // A body the operation reads off the event loop (with the hash a key needs); one it leaves,
        // or one with query parameters to merge, is read here as every other body.
        let read: { input: unknown; hash: string | null } | null = null;
        if (req.body instanceof JsonText) {
          const { text } = req.body;
          const hashOf = key === undefined ? null : hashName;
          const hasQuery = Object.keys(req.query as object).length > 0;
          read = hasQuery ? null : ((await operation.readBody?.(deps, text, hashOf)) ?? null);
          if (!read) req.body = readJson(req, text);
        }
        const actor = key === undefined ? null : await authenticate(context).catch(() => null);
        if (key !== undefined && actor !== null && mayCall(operation, actor)) {
          const input = read ? read.input : inputOf(req, operation, kinds);
          const parsed = read ? null : operation.input?.safeParse(input);
          const answer = await runOnce(deps.idempotency, {
            scope: idempotencyScope(actor),
            key,
            hash: read?.hash ?? requestHash(hashName, parsed?.success ? parsed.data : input),
            keptBody: keptBody(operation),
            run: async () => {
              const result = await run(input);
              return { status, body: status === 204 ? null : JSON.stringify(result) };
            },
          });
          if (answer.replayed) {
            if (operation.answersSecret && answer.status < 300) throw secretShown(answer.body);
            reply.header('idempotent-replayed', 'true');
          }
          if (operation.etag && answer.status < 300 && answer.body !== null) {
            const { etag } = JSON.parse(answer.body) as { etag: string };
            reply.header('etag', `"${etag}"`).header('cache-control', 'private, no-cache');
          }
          reply.code(answer.status);
          if (answer.body === null) return reply.send();
          // A replayed refusal is the kept error body, as its first answer sent it.
          return reply.type(JSON_TYPE).send(answer.body);
        }

        const current = await unchangedTag(operation, context, req);
        if (current !== null) {
          return reply.code(304).header('etag', current).header('cache-control', 'private, no-cache').send();
        }
        const result = await run(read ? read.input : inputOf(req, operation, kinds));
        if (operation.etag) {
          const etag = `"${(result as { etag: string }).etag}"`;
          reply.header('etag', etag).header('cache-control', 'private, no-cache');
          if (operation.method === 'GET' && matchesEtag(req.headers['if-none-match'], etag)) {
            return reply.code(304).send();
          }
        }
        reply.code(status);
        return status === 204 ? reply.send() : result;
      },
    });
  }
}
