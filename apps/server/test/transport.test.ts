import { METHODS } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config';
import { TRPC_BATCH_MAX } from '../src/http/app';
import { restOperations } from '../src/http/rest/routes';
import {
  awayFromMinuteEdge,
  createTenant,
  driverName,
  expectError,
  http,
  startServer,
  type TestServer,
  uniqueEmail,
} from './server';

/** Methods, batches and client addresses, as clients and proxies really send them. */
let server: TestServer;
let token = '';
let agentId = '';
beforeAll(async () => {
  server = await startServer();
  token = (await createTenant(server, 'Transport')).adminToken;
  agentId = (await http(server, 'POST', '/api/v1/agents', { token, body: { name: 'A', instructions: 'i' } }))
    .body.id;
});
afterAll(() => server?.close());

interface RawAnswer {
  status: number | null;
  body: string;
}

/** One request written by hand on its own connection, so any method can be sent (fetch refuses some). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      resolve({ status: status ? Number(status) : null, body: rest.join('\r\n\r\n') });
    });
    const lines = [
      `${method} ${path} HTTP/1.1`,
      'host: localhost',
      'connection: close',
      `authorization: Bearer ${token}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ...(body ? [`content-length: ${Buffer.byteLength(body)}`] : []),
    ];
    // Not end(): Node's HTTP server drops a request whose client half-closes before the answer.
    // `connection: close` makes the server close once it has answered.
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

/** What HTTP and tRPC serve; every other method is refused with 404 (no such path) or 405 in the error shape. */
const SERVED = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

describe(`any method on any path answers below 500 (${driverName})`, () => {
  const paths = () => [
    '/trpc/agents.list',
    '/trpc/agents.create',
    `/trpc/agents.get?input=${encodeURIComponent(JSON.stringify({ id: agentId }))}`,
    '/api/v1/agents',
    `/api/v1/agents/${agentId}`,
    `/api/v1/session-templates/${agentId}/clone`,
    '/api/v1/openapi.json',
    '/docs',
    '/health',
    '/health/ready',
    '/',
    '/no/such/path',
  ];

  it.each(METHODS)('%s', async (method) => {
    for (const path of paths()) {
      const answer = await raw(method, path, { 'content-type': 'application/json' }, '{}');
      expect(answer.status, `${method} ${path}`).not.toBeNull();
      expect(answer.status!, `${method} ${path}: ${answer.body}`).toBeLessThan(500);
      if (!SERVED.has(method)) {
        expect([404, 405], `${method} ${path}`).toContain(answer.status);
        expect(JSON.parse(answer.body).error.code, `${method} ${path}`).toMatch(/^[A-Z_]+$/);
      }
    }
  });
});

describe(`a method a path does not take (${driverName})`, () => {
  it('is 405 with Allow naming the methods it takes, in the error shape, on every path of the API', async () => {
    const operations = restOperations();
    // Each path the API has, with a concrete id, and every method some route serves it with (a
    // static segment such as `by-ids` is also an `{id}` to the routes that take one).
    const concrete = (path: string) => `/api/v1${path}`.replace(/\{\w+\}/g, agentId.toUpperCase());
    const paths = new Map<string, Set<string>>();
    for (const operation of operations) {
      const path = concrete(operation.path);
      const taken = new Set(
        operations
          .filter((other) => new RegExp(`^/api/v1${other.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path))
          .map((other) => other.method),
      );
      paths.set(path, taken);
    }
    for (const [path, taken] of paths) {
      const refused = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((method) => !taken.has(method));
      for (const method of [...refused, 'PROPFIND']) {
        const answer = await fetchRaw(method, path);
        expect(answer.status, `${method} ${path}`).toBe(405);
        const allow = answer.headers.get('allow')!.split(', ');
        expect(allow, `${method} ${path}`).toEqual([...taken, ...(taken.has('GET') ? ['HEAD'] : [])].sort());
        expect(answer.body.error.code).toBe('METHOD_NOT_ALLOWED');
      }
    }
    // A path the API does not have is still 404.
    expect((await fetchRaw('PATCH', '/api/v1/nothing-here')).status).toBe(404);
  });
});

/** One request by a method `fetch` sends (PROPFIND too), with the answer's headers and JSON body. */
async function fetchRaw(method: string, path: string) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { error: { code: string } },
  };
}

describe(`tRPC batches (${driverName})`, () => {
  const batch = (procedure: string, count: number) => Array(count).fill(procedure).join(',');

  it(`a batch of ${TRPC_BATCH_MAX} calls runs; one more is refused whole, before any call runs`, async () => {
    const inputs = (count: number) =>
      JSON.stringify(
        Object.fromEntries(
          Array.from({ length: count }, (_, i) => [i, { name: `Batched ${i}`, instructions: 'i' }]),
        ),
      );
    const atCap = await http(server, 'POST', `/trpc/${batch('agents.create', TRPC_BATCH_MAX)}?batch=1`, {
      token,
      body: inputs(TRPC_BATCH_MAX),
    });
    expect(atCap.status).toBe(200);
    expect(atCap.body).toHaveLength(TRPC_BATCH_MAX);

    const before = (await http(server, 'GET', '/api/v1/agents?limit=100', { token })).body.items.length;
    const over = await http(server, 'POST', `/trpc/${batch('agents.create', TRPC_BATCH_MAX + 1)}?batch=1`, {
      token,
      body: inputs(TRPC_BATCH_MAX + 1),
    });
    expect(over.status).toBe(400);
    expect(over.body.error.data.code).toBe('BAD_REQUEST');
    expect((await http(server, 'GET', '/api/v1/agents?limit=100', { token })).body.items.length).toBe(before);
  });

  it('each auth attempt inside a batch counts against the rate limit', async () => {
    const limited = await startServer({ config: { authRateLimit: 5 } });
    try {
      await awayFromMinuteEdge();
      const logins = Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [i, { email: uniqueEmail(), password: 'password123' }]),
      );
      const answer = await http(limited, 'POST', `/trpc/${batch('auth.login', 12)}?batch=1`, {
        body: logins,
      });
      const codes = (answer.body as { error: { data: { code: string } } }[]).map(
        (call) => call.error.data.code,
      );
      expect(codes.filter((code) => code === 'UNAUTHORIZED')).toHaveLength(5);
      expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(7);
    } finally {
      await limited.close();
    }
  });
});

describe(`client addresses behind a proxy (${driverName})`, () => {
  const login = (target: TestServer, forwardedFor?: string) =>
    http(target, 'POST', '/api/v1/auth/login', {
      body: { email: uniqueEmail(), password: 'password123' },
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    });

  it('unset, X-Forwarded-For is ignored: a client cannot pick a fresh rate-limit bucket', async () => {
    const direct = await startServer({ config: { authRateLimit: 2 } });
    try {
      await awayFromMinuteEdge();
      expect((await login(direct, '203.0.113.1')).status).toBe(401);
      expect((await login(direct, '203.0.113.2')).status).toBe(401);
      expectError(await login(direct, '203.0.113.3'), 429, 'TOO_MANY_REQUESTS');
    } finally {
      await direct.close();
    }
  });

  it.each([
    ['a hop count', 1 as const],
    ['the proxy addresses', ['127.0.0.0/8', '::1']],
  ])(
    'with TRUST_PROXY as %s, each client behind the proxy has its own bucket',
    async (_label, trustProxy) => {
      const proxied = await startServer({ config: { authRateLimit: 2, trustProxy } });
      try {
        await awayFromMinuteEdge();
        for (const client of ['198.51.100.7', '198.51.100.8']) {
          expect((await login(proxied, client)).status).toBe(401);
          expect((await login(proxied, client)).status).toBe(401);
          expectError(await login(proxied, client), 429, 'TOO_MANY_REQUESTS');
        }
        // A client that forges an address before the proxy's is still counted by the proxy's view.
        expectError(await login(proxied, '10.9.9.9, 198.51.100.7'), 429, 'TOO_MANY_REQUESTS');
      } finally {
        await proxied.close();
      }
    },
  );

  it('TRUST_PROXY is read as a hop count or a list of addresses and CIDRs; anything else is refused', () => {
    const env = { JWT_SECRET: 'x'.repeat(32), DATA_DIR: server.config.dataDir };
    expect(loadConfig(env).trustProxy).toBe(false);
    expect(loadConfig({ ...env, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...env, TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
    ]);
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.0/8,', '300.1.1.1', '-1']) {
      expect(() => loadConfig({ ...env, TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });
});
