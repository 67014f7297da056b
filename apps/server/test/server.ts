import { Writable } from 'node:stream';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { rowsOf } from '../src/core/db';
import { restOperations } from '../src/http/rest/routes';
import { proceduresOf } from '../src/http/trpcInternals';
import type { AppRouter } from '../src/router';
import { appRouter } from '../src/router';
import type { TestServer } from '../src/testing';

/**
 * Helpers to call a test server (`startServer`, below) through REST and through tRPC.
 */
export { startTestApp as startServer, type TestServer } from '../src/testing';

export const driverName = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

/** A well-formed id that names nothing. */
export const MISSING_ID = '00000000-0000-4000-8000-000000000000';

export function trpcClient(server: TestServer, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${server.url}/trpc`,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });
}

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A raw HTTP request; `body` is sent as JSON unless it is already a string. */
export async function http(
  server: TestServer,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(server.url + url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: response.status, body: parsed, headers: response.headers };
}

export type Transport = 'rest' | 'trpc';
export const transports: Transport[] = ['rest', 'trpc'];

export type Call = (procedure: string, input?: Record<string, unknown>) => Promise<Response>;

/** Each procedure's first REST route (session config has two: GET, then POST with overrides). */
function firstRoutes() {
  const routes = new Map<string, ReturnType<typeof restOperations>[number]>();
  for (const operation of restOperations()) {
    if (!routes.has(operation.procedure)) routes.set(operation.procedure, operation);
  }
  return routes;
}

/**
 * Calls a procedure by name over one transport and answers what a client sees: on REST the
 * status and body; on tRPC 200 and the data, or the error's HTTP status and the contract's
 * error body built from `TRPCClientError.data`.
 */
export function caller(server: TestServer, transport: Transport, token?: string): Call {
  if (transport === 'rest') {
    const operations = firstRoutes();
    return async (procedure, input = {}) => {
      const operation = operations.get(procedure);
      if (!operation) throw new Error(`no REST route for ${procedure}`);
      const rest = { ...input };
      const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = String(rest[name]);
        delete rest[name];
        return encodeURIComponent(value);
      });
      if (operation.method === 'GET') {
        const query = new URLSearchParams(
          Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)]),
        ).toString();
        return http(server, 'GET', `/api/v1${path}${query ? `?${query}` : ''}`, { token });
      }
      const hasBody = Object.keys(rest).length > 0 || !operation.pathParams.length;
      return http(server, operation.method, `/api/v1${path}`, { token, body: hasBody ? rest : undefined });
    };
  }
  const client = trpcClient(server, token) as unknown as Record<string, Record<string, any>>;
  const types = new Map([...firstRoutes()].map(([procedure, operation]) => [procedure, operation.method]));
  return async (procedure, input) => {
    const [group, name] = procedure.split('.') as [string, string];
    const handle = client[group]![name]!;
    try {
      const data = await (types.get(procedure) === 'GET' ? handle.query(input) : handle.mutate(input));
      return { status: 200, body: data, headers: new Headers() };
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error;
      return {
        status: error.data?.httpStatus,
        body: { error: { code: error.data?.code, message: error.message, details: error.data?.details } },
        headers: new Headers(),
      };
    }
  };
}

/** The success status a transport answers for a REST status (tRPC answers 200 for all). */
export function ok(transport: Transport, restStatus: 200 | 201 | 202 | 204 = 200): number {
  return transport === 'rest' ? restStatus : 200;
}

/**
 * The auth rate limit counts in fixed one-minute windows: a test that counts attempts starts well
 * inside a window (waiting for the next one when fewer than `marginMs` remain), so its attempts are
 * never split across two windows.
 */
export async function awayFromMinuteEdge(marginMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 250));
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export interface Tenant {
  organizationId: string;
  adminToken: string;
  memberToken: string;
  adminId: string;
  memberId: string;
}

/** An organization with an admin and a member, through the API. */
export async function createTenant(server: TestServer, name = 'Org'): Promise<Tenant> {
  const signup = await http(server, 'POST', '/api/v1/auth/signup', {
    body: { email: uniqueEmail('admin'), password: 'password123', organizationName: name },
  });
  if (signup.status !== 201) throw new Error(`signup failed: ${JSON.stringify(signup.body)}`);
  const memberEmail = uniqueEmail('member');
  const added = await http(server, 'POST', '/api/v1/organization/members', {
    token: signup.body.accessToken,
    body: { email: memberEmail, password: 'password123', role: 'member' },
  });
  if (added.status !== 201) throw new Error(`addMember failed: ${JSON.stringify(added.body)}`);
  const login = await http(server, 'POST', '/api/v1/auth/login', {
    body: { email: memberEmail, password: 'password123' },
  });
  return {
    organizationId: signup.body.organization.id,
    adminToken: signup.body.accessToken,
    adminId: signup.body.user.id,
    memberToken: login.body.accessToken,
    memberId: added.body.id,
  };
}

/** An active agent of another, new organization: for this organization it must look missing. */
export async function foreignAgent(server: TestServer, transport: Transport): Promise<{ id: string }> {
  const other = await createTenant(server, 'Foreign');
  return (
    await caller(server, transport, other.adminToken)('agents.create', { name: 'Foreign', instructions: 'i' })
  ).body;
}

/** The body of a response of `status` (the assertion names the body otherwise). */
export function expectStatus(response: Response, status: number) {
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

export function expectError(response: Response, status: number, code: string) {
  if (response.status !== status || response.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body.error as { code: string; message: string; details: Record<string, any> };
}

/**
 * Holds an agent's row lock (`FOR UPDATE`) from another PostgreSQL connection, as a concurrent
 * agent change would, until `release()`; resolves once the lock is held. A template write that
 * shares the agent waits for it.
 */
export async function holdAgentLock(
  databaseUrl: string,
  agentId: string,
): Promise<{ release(): Promise<void> }> {
  const holder = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked: () => void = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holding = holder.begin(async (tx) => {
    await tx`select id from agents where id = ${agentId} for update`;
    locked();
    await released;
  });
  await Promise.race([isLocked, holding]);
  let ended: Promise<void> | undefined;
  return {
    release() {
      release();
      ended ??= holding.then(() => holder.end());
      return ended;
    },
  };
}

/** The rows of a raw `db.execute` on either driver (postgres.js answers an array, PGlite `{ rows }`). */
export { rowsOf };

/** Every API key secret (`sbk_` + 43 characters) found in any text or JSON column of any table. */
export async function storedSecrets(target: TestServer): Promise<string[]> {
  const db = target.database.db;
  const columns = rowsOf<{ table_name: string; column_name: string }>(
    await db.execute(sql`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY')`),
  );
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    const rows = rowsOf<{ value: string }>(
      await db.execute(
        sql`select ${sql.identifier(column_name)}::text as value from ${sql.identifier(table_name)} where ${sql.identifier(column_name)}::text ~ 'sbk_[A-Za-z0-9_-]{43}'`,
      ),
    );
    found.push(...rows.map((row) => `${table_name}.${column_name}: ${row.value.slice(0, 80)}`));
  }
  return found;
}

/** A trace-level log kept in memory, for tests that check what the server writes to its log. */
export function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: { stream, level: 'trace' } };
}

/**
 * Every procedure of the router but subscriptions (whose REST twin is a stream of its own: the one
 * subscription, `events.onChange`, is `GET /api/v1/events`, tested in events.test.ts).
 */
export function requestProcedures(): string[] {
  const procedures = proceduresOf(appRouter);
  return Object.keys(procedures)
    .filter((name) => procedures[name]!._def.type !== 'subscription')
    .sort();
}
