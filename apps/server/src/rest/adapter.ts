import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { type Context, createContext, type Deps } from '../context';
import { AppError, describeError, errorBody } from '../errors';
import { appRouter } from '../router';
import { authenticate, createCallerFactory, keyMayCall } from '../trpc';
import { matchesEtag } from './etag';
import { checkIdempotencyKey, requestHash } from './idempotency';
import { jsonSchema, type RestOperation, restOperations } from './routes';

/**
 * The REST adapter: one Fastify route per procedure that has REST meta, calling that very
 * procedure (createCaller), so authorization and validation live only in the router. It owns only
 * HTTP: mapping path, query and body to the input, the success status, and (through the app's
 * error handler) the contract's error body.
 */
export const REST_PREFIX = '/api/v1';

type Callable = (input: unknown) => Promise<unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Query and path fields whose schema is an integer, so `?limit=20` reaches the input as 20. */
function integerFields(input: z.ZodType | undefined): Set<string> {
  if (!input) return new Set();
  const schema = jsonSchema(input, 'input');
  return new Set(
    Object.entries(schema.properties ?? {})
      .filter(([, property]) => property.type === 'integer')
      .map(([name]) => name),
  );
}

function inputOf(req: FastifyRequest, operation: RestOperation, integers: Set<string>): unknown {
  const params = req.params as Record<string, string>;
  let fields: Record<string, unknown> = {};
  const fromUrl = (key: string, value: unknown) =>
    typeof value === 'string' && integers.has(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  if (operation.method === 'GET') {
    for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
      fields[key] = fromUrl(key, value);
    }
  } else if (req.body !== undefined) {
    if (!isPlainObject(req.body)) {
      throw new AppError('BAD_REQUEST', 'The request body must be a JSON object', {
        issues: [{ path: [], message: 'Expected a JSON object' }],
      });
    }
    fields = req.body;
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
 * Whose an idempotency key is: the client address's for signup and login, else the caller's
 * organization's; null for a request with no valid credentials (it runs, and is refused, as usual).
 */
async function idempotencyScope(operation: RestOperation, context: Context): Promise<string | null> {
  if (operation.access === 'public') return `address:${context.clientIp}`;
  try {
    return `organization:${(await authenticate(context)).organizationId}`;
  } catch {
    return null;
  }
}

/**
 * For a GET with `If-None-Match` on a route that revalidates: the current tag when it matches (the
 * answer is then a 304), else null and the procedure answers as usual. The caller is authenticated
 * and scope-checked as the procedure would; anything it would refuse goes to the procedure, which
 * refuses it.
 */
async function currentTag(
  operation: RestOperation,
  context: Context,
  req: FastifyRequest,
): Promise<string | null> {
  const header = req.headers['if-none-match'];
  if (!operation.revalidate || operation.method !== 'GET' || !header) return null;
  const actor = await authenticate(context);
  if (
    actor.kind === 'apiKey'
      ? !keyMayCall(actor, operation.keys)
      : operation.access === 'admin' && actor.role !== 'admin'
  ) {
    return null;
  }
  const input = operation.input?.safeParse({ ...(req.query as object), ...(req.params as object) });
  if (!input?.success) return null;
  const etag = await operation.revalidate(context.db, actor.organizationId, input.data as { id: string });
  return etag !== null && matchesEtag(header, `"${etag}"`) ? `"${etag}"` : null;
}

export function registerRestRoutes(app: FastifyInstance, deps: Deps): void {
  const createCaller = createCallerFactory(appRouter);
  for (const operation of restOperations()) {
    const integers = integerFields(operation.input);
    const status = operation.status ?? 200;
    app.route({
      method: operation.method,
      url: REST_PREFIX + operation.path.replace(/\{(\w+)\}/g, ':$1'),
      ...(operation.bodyLimit ? { bodyLimit: operation.bodyLimit } : {}),
      // The output schema lets Fastify serialise responses with fast-json-stringify.
      ...(operation.output && status !== 204
        ? { schema: { response: { [status]: jsonSchema(operation.output, 'output') } } }
        : {}),
      handler: async (req, reply) => {
        const context = createContext(deps, req);
        const run = () => {
          const caller = createCaller(context) as unknown as Record<string, unknown>;
          const call = operation.procedure
            .split('.')
            .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as Callable;
          return call(inputOf(req, operation, integers));
        };

        const key =
          operation.method === 'POST' ? checkIdempotencyKey(req.headers['idempotency-key']) : undefined;
        const scope = key === undefined ? null : await idempotencyScope(operation, context);
        if (key !== undefined && scope !== null) {
          // The first answer is kept and replayed byte for byte, so it is serialised here, once.
          const claim = await deps.idempotency.claim(scope, key, requestHash(req.method, req.url, req.body));
          if (claim.kind === 'replay') {
            reply.code(claim.status).header('idempotent-replayed', 'true');
            return claim.body === null ? reply.send() : reply.type(JSON_TYPE).send(claim.body);
          }
          let body: string;
          try {
            const result = await run();
            if (operation.etag) reply.header('etag', `"${(result as { etag: string }).etag}"`);
            body = JSON.stringify(result);
          } catch (error) {
            const described = describeError(error);
            if (described.status >= 500) await deps.idempotency.release(scope, key);
            else
              await deps.idempotency.complete(
                scope,
                key,
                described.status,
                JSON.stringify(errorBody(described)),
              );
            throw error;
          }
          await deps.idempotency.complete(scope, key, status, body);
          return reply.code(status).type(JSON_TYPE).send(body);
        }

        const current = await currentTag(operation, context, req);
        if (current !== null) {
          return reply.code(304).header('etag', current).header('cache-control', 'private, no-cache').send();
        }
        const result = await run();
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
