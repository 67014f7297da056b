import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps, trpcOptions } from '../src/http/app';
import { trpcHttp } from '../src/http/trpcHttp';
import type { AppRouter } from '../src/router';
import { createTenant, driverName, MISSING_ID, startServer, type TestServer, trpcClient } from './server';

/**
 * Our tRPC plugin must answer exactly as tRPC's stock Fastify adapter does: the same requests,
 * sent to both (same router, same context, same database), get the same status, headers and body.
 * Plain calls take the plugin's direct path, everything else goes to `resolveResponse`; both are
 * compared here.
 */
let server: TestServer;
let ours: FastifyInstance;
let stock: FastifyInstance;
let token = '';
let templateId = '';
let agentId = '';

beforeAll(async () => {
  server = await startServer();
  const tenant = await createTenant(server, 'Wire');
  token = tenant.adminToken;
  const api = trpcClient(server, token);
  agentId = (await api.agents.create.mutate({ name: 'Triage', instructions: 'Greets' })).id;
  templateId = (await api.sessionTemplates.create.mutate({ name: 'Intake', agentIds: [agentId] })).id;
  const options = trpcOptions(createDeps(server.database, server.config));
  ours = Fastify();
  await ours.register(trpcHttp, { prefix: '/trpc', ...options });
  stock = Fastify();
  await stock.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: options.router,
      createContext: ({ req, res }) => options.createContext(req, res),
      responseMeta: options.responseMeta,
      maxBatchSize: options.maxBatchSize,
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
});
afterAll(async () => {
  await ours?.close();
  await stock?.close();
  await server?.close();
});

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));
/** Headers that say how bytes travel (chunked or not, when), not what the answer is. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

interface WireRequest {
  name: string;
  method: 'GET' | 'POST' | 'HEAD' | 'PUT';
  url: () => string;
  headers?: Record<string, string>;
  body?: string;
  anonymous?: boolean;
}

const requests: WireRequest[] = [
  {
    name: 'query, not batched',
    method: 'GET',
    url: () => `/trpc/sessionTemplates.get?input=${input({ id: templateId })}`,
  },
  { name: 'query without input', method: 'GET', url: () => '/trpc/auth.me' },
  {
    name: 'batch of queries, one failing',
    method: 'GET',
    url: () =>
      `/trpc/sessionTemplates.get,sessionTemplates.list,agents.get?batch=1&input=${input({ 0: { id: templateId }, 1: { limit: 2 }, 2: { id: MISSING_ID } })}`,
  },
  {
    name: 'not found',
    method: 'GET',
    url: () => `/trpc/sessionTemplates.get?batch=1&input=${input({ 0: { id: MISSING_ID } })}`,
  },
  {
    name: 'invalid input',
    method: 'GET',
    url: () => `/trpc/agents.get?batch=1&input=${input({ 0: { id: 'nope' } })}`,
  },
  {
    name: 'query, upper-case id',
    method: 'GET',
    url: () => `/trpc/sessionTemplates.get?input=${input({ id: templateId.toUpperCase() })}`,
  },
  { name: 'batch with no input', method: 'GET', url: () => '/trpc/auth.me,organization.get?batch=1' },
  {
    name: 'batch whose input is not an object',
    method: 'GET',
    url: () => `/trpc/auth.me?batch=1&input=${input([1])}`,
  },
  {
    name: 'query with a JSON content type',
    method: 'GET',
    url: () => '/trpc/auth.me',
    headers: { 'content-type': 'application/json' },
  },
  { name: 'input that is not JSON', method: 'GET', url: () => '/trpc/agents.get?input=%7Bnope' },
  { name: 'unknown procedure', method: 'GET', url: () => '/trpc/nothing.here?batch=1&input=%7B%7D' },
  { name: 'no token', method: 'GET', url: () => '/trpc/auth.me', anonymous: true },
  {
    name: 'GET of a mutation',
    method: 'GET',
    url: () => `/trpc/agents.delete?input=${input({ id: agentId })}`,
  },
  {
    name: 'POST of a query',
    method: 'POST',
    url: () => '/trpc/sessionTemplates.get',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: templateId }),
  },
  {
    name: 'PUT',
    method: 'PUT',
    url: () => '/trpc/sessionTemplates.get',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  },
  { name: 'HEAD', method: 'HEAD', url: () => '/trpc/auth.me' },
  {
    name: 'batch of 51 calls (over the cap, refused whole)',
    method: 'GET',
    url: () =>
      `/trpc/${Array(51).fill('auth.me').join(',')}?batch=1&input=${input(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [i, null])))}`,
  },
  {
    name: 'batch of 50 calls (at the cap)',
    method: 'GET',
    url: () =>
      `/trpc/${Array(50).fill('auth.me').join(',')}?batch=1&input=${input(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [i, null])))}`,
  },
  {
    name: 'mutation with invalid input',
    method: 'POST',
    url: () => '/trpc/agents.create?batch=1',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 0: { name: '', instructions: '' } }),
  },
  {
    name: 'mutation refused by the rules (nothing written)',
    method: 'POST',
    url: () => '/trpc/sessionTemplates.update',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: templateId, version: 99, name: 'Stale' }),
  },
  {
    name: 'mutation body that is not JSON',
    method: 'POST',
    url: () => '/trpc/agents.create',
    headers: { 'content-type': 'application/json' },
    body: '{"name":',
  },
  { name: 'mutation without a body', method: 'POST', url: () => '/trpc/agents.create' },
  {
    name: 'mutation, JSON with a charset',
    method: 'POST',
    url: () => '/trpc/agents.delete',
    headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    body: JSON.stringify({ id: MISSING_ID }),
  },
  {
    name: 'batch mixing a query and a mutation',
    method: 'POST',
    url: () => '/trpc/auth.me,agents.delete?batch=1',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 1: { id: MISSING_ID } }),
  },
  {
    name: 'batch of mutations, one failing',
    method: 'POST',
    url: () => '/trpc/agents.delete,sessionTemplates.update?batch=1',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 0: { id: MISSING_ID }, 1: { id: templateId, version: 99, name: 'Stale' } }),
  },
  {
    name: 'streamed batch (JSON lines)',
    method: 'GET',
    url: () =>
      `/trpc/sessionTemplates.get,agents.get?batch=1&input=${input({ 0: { id: templateId }, 1: { id: MISSING_ID } })}`,
    headers: { 'trpc-accept': 'application/jsonl' },
  },
];

async function send(app: FastifyInstance, request: WireRequest) {
  const response = await app.inject({
    method: request.method,
    url: request.url(),
    headers: { ...(request.anonymous ? {} : { authorization: `Bearer ${token}` }), ...request.headers },
    payload: request.body,
  });
  const headers = Object.fromEntries(
    Object.entries(response.headers).filter(([name]) => !TRANSPORT.has(name)),
  );
  // A JSON-lines batch sends each call's lines as the call finishes: compare them in any order.
  const streamed = request.headers?.['trpc-accept'] === 'application/jsonl';
  const body = streamed ? response.body.split('\n').sort() : response.body;
  return { status: response.statusCode, headers, body };
}

describe(`tRPC over HTTP answers as tRPC's stock Fastify adapter does (${driverName})`, () => {
  it.each(requests.map((request) => [request.name, request] as const))('%s', async (_name, request) => {
    const expected = await send(stock, request);
    const actual = await send(ours, request);
    expect(actual).toEqual(expected);
  });
});
