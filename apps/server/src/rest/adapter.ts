import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { createContext, type Deps } from '../context';
import { AppError } from '../errors';
import { matchesEtag, NotModified } from '../notModified';
import { appRouter } from '../router';
import { createCallerFactory } from '../trpc';
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
        const input = inputOf(req, operation, integers);
        const context = createContext(deps, req);
        const ifNoneMatch = req.headers['if-none-match'];
        if (operation.etag && operation.method === 'GET' && ifNoneMatch) context.ifNoneMatch = ifNoneMatch;
        const caller = createCaller(context) as unknown as Record<string, unknown>;
        const call = operation.procedure
          .split('.')
          .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as Callable;
        let result: unknown;
        try {
          result = await call(input);
        } catch (error) {
          if (!(error instanceof NotModified)) throw error;
          return reply
            .code(304)
            .header('etag', `"${error.etag}"`)
            .header('cache-control', 'private, no-cache')
            .send();
        }
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
