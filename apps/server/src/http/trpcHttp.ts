import type { AnyTRPCProcedure, AnyTRPCRouter, inferRouterContext, TRPCError } from '@trpc/server';
import { createURL } from '@trpc/server/adapters/node-http';
import { type ResponseMetaFn, resolveResponse } from '@trpc/server/http';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nestsDeeperThan, tooDeep } from '../core/jsonDepth';
import {
  getErrorShape,
  getHTTPStatusCode,
  getTRPCErrorFromUnknown,
  isObject,
  proceduresOf,
  transformTRPCResponse,
} from './trpcInternals';

export interface TrpcHttpOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  createContext: (req: FastifyRequest, reply: FastifyReply) => inferRouterContext<TRouter>;
  onError?: (failure: { error: TRPCError; req: FastifyRequest }) => void;
  responseMeta?: ResponseMetaFn<TRouter>;
  /** The most calls one batch may carry; a longer batch is refused whole with 400 before any call runs. */
  maxBatchSize: number;
  /**
   * Procedures that take a larger body than the server's limit (a configuration import), by
   * name: each is served at `<prefix>/<name>` with its own limit (alone or in a batch of its own).
   */
  bodyLimits?: ReadonlyMap<string, number>;
}

/**
 * The methods a Fetch `Request` can carry (it refuses CONNECT, TRACE and TRACK). tRPC answers each
 * of them (GET and POST with the call, the rest with its own error); any other method meets the
 * server's JSON 404, never a 500 from the `Request` constructor.
 */
const TRPC_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * tRPC over HTTP on Fastify, at `<prefix>/:path`: a Fastify plugin in place of `fastifyTRPCPlugin`.
 *
 * Every answer is tRPC's own: the request goes to `resolveResponse`, the function each of tRPC's
 * adapters hands requests to, so `@trpc/client`'s links talk to it unchanged (batched or not,
 * GET or POST, JSON lines, SSE). What differs from the stock adapter is the plumbing around it,
 * which the profile showed costing about a sixth of the server's CPU on a small query:
 * - the Fetch `Request` is built straight from what Fastify already parsed (its headers, its text
 *   body), with no per-request `AbortController` following the socket. No procedure here reads
 *   its abort signal; a streamed answer is still cancelled when the client goes away, because
 *   Fastify cancels the stream it is sending;
 * - a whole JSON answer (every query and mutation) is read at once and sent in one piece with a
 *   content length, as any Fastify route sends; streamed answers (`httpBatchStreamLink`'s JSON
 *   lines, SSE subscriptions) are handed to Fastify as the stream they are.
 */
export function trpcHttp<TRouter extends AnyTRPCRouter>(
  app: FastifyInstance,
  options: TrpcHttpOptions<TRouter>,
  done: (error?: Error) => void,
) {
  // tRPC reads the body itself: keep it as the text that arrived (nested at most 64 deep).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, parsed) =>
    nestsDeeperThan(body as string) ? parsed(tooDeep(), undefined) : parsed(null, body),
  );

  const handler = async (req: FastifyRequest<{ Params: { path?: string } }>, reply: FastifyReply) => {
    const path = req.params.path ?? procedurePath(req.url);
    const call = plainCall(options, req, path);
    if (call) return answerDirectly(options, req, reply, call);
    const response = await resolveResponse<TRouter>({
      router: options.router,
      maxBatchSize: options.maxBatchSize,
      req: toFetchRequest(req),
      path,
      error: null,
      createContext: async () => options.createContext(req, reply),
      onError: (failure) => options.onError?.({ error: failure.error, req }),
      responseMeta: options.responseMeta,
    });
    if (isStreamed(response)) return reply.send(response);
    reply.code(response.status);
    for (const [name, value] of response.headers) reply.header(name, value);
    // Bytes, not a string: Fastify would add a charset to tRPC's content type.
    return reply.send(Buffer.from(await response.arrayBuffer()));
  };

  app.route({ method: TRPC_METHODS, url: '/:path', handler });
  // A static route wins over `/:path`, so these paths get their own body limit.
  for (const [procedure, bodyLimit] of options.bodyLimits ?? []) {
    app.route({ method: TRPC_METHODS, url: `/${procedure}`, bodyLimit, handler });
  }
  done();
}

/** The procedure path of a tRPC URL (`/trpc/config.import?batch=1` → `config.import`). */
function procedurePath(url: string): string {
  const path = url.split('?')[0]!;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

function toFetchRequest(req: FastifyRequest): Request {
  const headers = new Headers();
  for (const name in req.headers) {
    const value = req.headers[name];
    if (typeof value === 'string') headers.set(name, value);
    else if (value) for (const item of value) headers.append(name, item);
  }
  const hasBody = typeof req.body === 'string' && req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(createURL(req.raw), {
    method: req.method,
    headers,
    body: hasBody ? (req.body as string) : undefined,
  });
}

/** tRPC streams only JSON-lines batches (sent chunked) and SSE subscriptions. */
function isStreamed(response: Response): boolean {
  return (
    response.headers.has('transfer-encoding') ||
    response.headers.get('content-type')?.startsWith('text/event-stream') === true
  );
}

/** A plain call, read the way tRPC's JSON handler reads it: its procedures and their inputs. */
interface PlainCall {
  batch: boolean;
  paths: string[];
  procedures: AnyTRPCProcedure[];
  inputs: unknown[];
  type: 'query' | 'mutation';
}

/**
 * The request, when it is a plain call: a query by GET or a mutation by POST (a JSON body), one or
 * a batch, to procedures that exist, with input that parses, not asking for JSON lines. Anything
 * else (an error tRPC words itself, a subscription, a stream) is null and goes to `resolveResponse`.
 */
function plainCall<TRouter extends AnyTRPCRouter>(
  options: TrpcHttpOptions<TRouter>,
  req: FastifyRequest,
  path: string,
): PlainCall | null {
  const type = req.method === 'GET' ? 'query' : req.method === 'POST' ? 'mutation' : null;
  if (!type || path.includes('%') || req.headers['trpc-accept'] !== undefined) return null;
  if (req.headers.accept?.includes('application/jsonl')) return null;
  const contentType = req.headers['content-type'];
  const json = contentType?.toLowerCase().split(';', 1)[0]?.trim() === 'application/json';
  if (type === 'mutation' ? !json : contentType !== undefined && !json) return null;
  const queryAt = req.url.indexOf('?');
  const search = new URLSearchParams(queryAt < 0 ? '' : req.url.slice(queryAt + 1));
  if (search.has('connectionParams')) return null;
  const batch = search.get('batch') === '1';
  const paths = batch ? path.split(',') : [path];
  if (batch && paths.length > options.maxBatchSize) return null;
  const procedures: AnyTRPCProcedure[] = [];
  for (const name of paths) {
    const procedure = proceduresOf(options.router)[name];
    if (!procedure || procedure._def.type !== type) return null;
    procedures.push(procedure);
  }
  const raw = type === 'query' ? search.get('input') : req.body;
  let given: unknown;
  if (typeof raw === 'string' && raw !== '') {
    // A query's input nested too deep goes to tRPC's own path, which refuses it (a mutation's body
    // was refused by the content parser already).
    if (type === 'query' && nestsDeeperThan(raw)) return null;
    try {
      given = JSON.parse(raw);
    } catch {
      return null;
    }
  } else if (raw !== null && raw !== undefined && raw !== '') {
    return null;
  }
  if (batch && given !== undefined && !isObject(given)) return null;
  const inputs = batch
    ? paths.map((_, index) => (given === undefined ? undefined : (given as Record<number, unknown>)[index]))
    : [given];
  return { batch, paths, procedures, inputs, type };
}

/**
 * Answers a plain call as `resolveResponse` would (the same envelopes, error shapes, status and
 * headers; `trpcWire.test.ts` compares them with tRPC's stock adapter), without building a Fetch `Request` and `Response`
 * around it: most of what a small query cost over tRPC was that.
 */
async function answerDirectly<TRouter extends AnyTRPCRouter>(
  options: TrpcHttpOptions<TRouter>,
  req: FastifyRequest,
  reply: FastifyReply,
  call: PlainCall,
) {
  const config = options.router._def._config;
  const ctx = options.createContext(req, reply);
  const errors: TRPCError[] = [];
  const results = await Promise.all(
    call.procedures.map(async (procedure, index) => {
      const path = call.paths[index]!;
      const input = call.inputs[index];
      try {
        const data = await procedure({
          path,
          getRawInput: async () => input,
          ctx,
          type: call.type,
          signal: undefined,
          batchIndex: index,
        });
        return { result: { data } };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        errors[index] = error;
        options.onError?.({ error, req });
        return { error: getErrorShape({ config, ctx, error, input, path, type: call.type }) };
      }
    }),
  );
  let status = getHTTPStatusCode(results, errors);
  const definedErrors = errors.filter(Boolean);
  const meta = options.responseMeta?.({
    ctx,
    info: undefined,
    paths: call.paths,
    type: call.type,
    data: results as Parameters<ResponseMetaFn<TRouter>>[0]['data'],
    errors: definedErrors,
    eagerGeneration: false,
  });
  reply.header('vary', 'trpc-accept, accept');
  reply.header('content-type', 'application/json');
  for (const [name, value] of Object.entries(meta?.headers ?? {})) {
    if (typeof value === 'string') reply.header(name, value);
  }
  if (meta?.status) status = meta.status;
  const body = transformTRPCResponse(config, call.batch ? results : results[0]!);
  // Bytes, not a string: Fastify would add a charset to tRPC's content type.
  return reply.code(status).send(Buffer.from(JSON.stringify(body)));
}
