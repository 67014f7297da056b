import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caller, createTenant, driverName, startServer, type Tenant, type TestServer } from './server';

/**
 * tRPC over HTTP answers plain calls directly, without tRPC's `resolveResponse` (src/trpcHttp.ts).
 * Every answer must be the one `resolveResponse` gives: the same requests go to a second instance
 * that sends everything through it, on the same database, and status, headers and body must match.
 */
let direct: TestServer;
let resolved: TestServer;
let tenant: Tenant;
let templateId: string;
let agentId: string;

beforeAll(async () => {
  direct = await startServer();
  resolved = await startServer({ database: direct.database, trpcDirect: false });
  tenant = await createTenant(direct, 'Parity');
  const admin = caller(direct, 'rest', tenant.adminToken);
  const agent = await admin('agents.create', { name: 'Parity agent', instructions: 'Hello.' });
  agentId = agent.body.id;
  const template = await admin('sessionTemplates.create', { name: 'Parity template', agentIds: [agentId] });
  templateId = template.body.id;
});
afterAll(async () => {
  await resolved?.close();
  await direct?.close();
});

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

interface Case {
  name: string;
  method: string;
  path: string;
  token?: 'admin' | 'member' | null;
  body?: string;
  headers?: Record<string, string>;
}

function cases(): Case[] {
  const missing = '00000000-0000-4000-8000-000000000000';
  return [
    { name: 'a query', method: 'GET', path: `sessionTemplates.get?input=${input({ id: templateId })}` },
    {
      name: 'a query, upper-case id',
      method: 'GET',
      path: `sessionTemplates.get?input=${input({ id: templateId.toUpperCase() })}`,
    },
    {
      name: 'a query of a missing row',
      method: 'GET',
      path: `sessionTemplates.get?input=${input({ id: missing })}`,
    },
    {
      name: 'a query with bad input',
      method: 'GET',
      path: `sessionTemplates.get?input=${input({ id: 'nope' })}`,
    },
    { name: 'a query with no input', method: 'GET', path: 'sessionTemplates.get' },
    { name: 'a query with no token', method: 'GET', path: 'auth.me', token: null },
    { name: 'a query as a member', method: 'GET', path: 'auth.me', token: 'member' },
    {
      name: 'a batch of one',
      method: 'GET',
      path: `sessionTemplates.get?batch=1&input=${input({ 0: { id: templateId } })}`,
    },
    {
      name: 'a batch, one failing (207)',
      method: 'GET',
      path: `sessionTemplates.get,agents.get,auth.me?batch=1&input=${input({ 0: { id: templateId }, 1: { id: missing } })}`,
    },
    {
      name: 'a batch with no input',
      method: 'GET',
      path: 'auth.me,organization.get?batch=1',
    },
    {
      name: 'a batch whose input is not an object',
      method: 'GET',
      path: `auth.me?batch=1&input=${input([1])}`,
    },
    { name: 'input that is not JSON', method: 'GET', path: 'sessionTemplates.get?input=%7Bnope' },
    { name: 'a procedure that does not exist', method: 'GET', path: 'sessionTemplates.nope' },
    {
      name: 'a mutation by GET',
      method: 'GET',
      path: `agents.delete?input=${input({ id: missing })}`,
    },
    {
      name: 'a query by POST',
      method: 'POST',
      path: 'auth.me',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    },
    {
      name: 'a mutation refused to a member',
      method: 'POST',
      path: 'agents.delete',
      token: 'member',
      body: JSON.stringify({ id: agentId }),
      headers: { 'content-type': 'application/json' },
    },
    {
      name: 'a mutation with bad input',
      method: 'POST',
      path: 'agents.create',
      body: JSON.stringify({ name: '', instructions: 'x', extra: true }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    },
    {
      name: 'a mutation with an empty body',
      method: 'POST',
      path: 'agents.create',
      body: '',
      headers: { 'content-type': 'application/json' },
    },
    {
      name: 'a mutation of a missing row',
      method: 'POST',
      path: 'agents.delete?batch=1',
      body: JSON.stringify({ 0: { id: missing } }),
      headers: { 'content-type': 'application/json' },
    },
    {
      name: 'a mutation with another content type',
      method: 'POST',
      path: 'agents.delete',
      body: JSON.stringify({ id: missing }),
      headers: { 'content-type': 'text/plain' },
    },
    {
      name: 'a batch mixing a query and a mutation',
      method: 'POST',
      path: 'auth.me,agents.delete?batch=1',
      body: JSON.stringify({ 1: { id: missing } }),
      headers: { 'content-type': 'application/json' },
    },
  ];
}

async function answer(server: TestServer, test: Case) {
  const token =
    test.token === undefined || test.token === 'admin'
      ? tenant.adminToken
      : test.token === 'member'
        ? tenant.memberToken
        : null;
  const response = await fetch(`${server.url}/trpc/${test.path}`, {
    method: test.method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...test.headers },
    body: test.body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    vary: response.headers.get('vary'),
    allow: response.headers.get('allow'),
    retryAfter: response.headers.get('retry-after'),
    body: text ? JSON.parse(text) : null,
  };
}

describe(`tRPC plain calls answered directly, on ${driverName}`, () => {
  it('answer every request exactly as tRPC itself does: status, headers and body', async () => {
    for (const test of cases()) {
      const [mine, theirs] = [await answer(direct, test), await answer(resolved, test)];
      expect({ case: test.name, ...mine }).toEqual({ case: test.name, ...theirs });
    }
  });

  it('a successful mutation is answered the same way (its own row each time)', async () => {
    const create = (server: TestServer, name: string) =>
      answer(server, {
        name,
        method: 'POST',
        path: 'agents.create',
        body: JSON.stringify({ name, instructions: 'Hi.' }),
        headers: { 'content-type': 'application/json' },
      });
    const [mine, theirs] = [await create(direct, 'Direct'), await create(resolved, 'Resolved')];
    expect(mine.status).toBe(200);
    expect(theirs.status).toBe(200);
    expect(Object.keys(mine.body.result.data).sort()).toEqual(Object.keys(theirs.body.result.data).sort());
    expect([mine.contentType, mine.vary]).toEqual([theirs.contentType, theirs.vary]);
    expect(mine.body.result.data.name).toBe('Direct');
  });
});
