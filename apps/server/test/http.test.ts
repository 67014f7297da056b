import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  driverName,
  expectError,
  http,
  startServer,
  type Tenant,
  type TestServer,
} from './server';

let server: TestServer;
let tenant: Tenant;
beforeAll(async () => {
  server = await startServer();
  tenant = await createTenant(server);
});
afterAll(() => server?.close());

describe(`HTTP transport (${driverName})`, () => {
  it('answers liveness and readiness', async () => {
    expect((await http(server, 'GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await http(server, 'GET', '/health/ready')).body).toEqual({ status: 'ready' });
  });

  it('unknown routes are 404 in the contract shape', async () => {
    const res = await http(server, 'GET', '/api/v1/nope');
    expectError(res, 404, 'NOT_FOUND');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('malformed JSON is 400, another content type 415, a body over 1 MiB 413', async () => {
    const token = tenant.adminToken;
    expectError(
      await http(server, 'POST', '/api/v1/agents', { token, body: '{"name": "x",', headers: {} }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await http(server, 'POST', '/api/v1/agents', {
        token,
        body: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await http(server, 'POST', '/api/v1/agents', {
        token,
        body: '{}',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const huge = JSON.stringify({ name: 'x', instructions: 'y'.repeat(2 * 1024 * 1024) });
    expectError(
      await http(server, 'POST', '/api/v1/agents', { token, body: huge }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // Over tRPC, in tRPC's error shape (what the typed client reads as a TRPCClientError).
    const trpc = await http(server, 'POST', '/trpc/agents.create', { token, body: huge });
    expect(trpc.status).toBe(413);
    expect(trpc.body.error).toMatchObject({
      code: -32013,
      data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
    });
    const list = await http(server, 'GET', '/api/v1/agents', { token });
    expect(list.body.items).toEqual([]);
  });

  it('a body that is not a JSON object, or a prototype key, is 400', async () => {
    const token = tenant.adminToken;
    for (const body of ['[1,2]', '"text"', '42', 'null', '{"__proto__": {"isAdmin": true}}']) {
      expectError(await http(server, 'POST', '/api/v1/agents', { token, body }), 400, 'BAD_REQUEST');
    }
  });

  it('serves the OpenAPI document with every REST route, and Swagger UI', async () => {
    const doc = (await http(server, 'GET', '/api/v1/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    const routes = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    expect(routes).toEqual(
      [
        'POST /api/v1/auth/signup',
        'POST /api/v1/auth/login',
        'GET /api/v1/auth/me',
        'GET /api/v1/organization/members',
        'POST /api/v1/organization/members',
        'PUT /api/v1/organization/members/{id}',
        'POST /api/v1/agents',
        'GET /api/v1/agents',
        'GET /api/v1/agents/{id}',
        'GET /api/v1/agents/by-ids',
        'GET /api/v1/catalog',
        'PUT /api/v1/agents/{id}',
        'DELETE /api/v1/agents/{id}',
        'POST /api/v1/session-templates',
        'GET /api/v1/session-templates',
        'GET /api/v1/session-templates/{id}',
        'GET /api/v1/session-templates/by-ids',
        'PUT /api/v1/session-templates/{id}',
        'DELETE /api/v1/session-templates/{id}',
        'POST /api/v1/session-templates/{id}/clone',
        'GET /api/v1/session-templates/{id}/revisions',
        'GET /api/v1/session-templates/{id}/revisions/{version}',
        'POST /api/v1/session-templates/{id}/restore',
        'GET /api/v1/agents/{id}/revisions',
        'GET /api/v1/agents/{id}/revisions/{version}',
        'POST /api/v1/agents/{id}/restore',
        'GET /api/v1/audit-events',
        'GET /api/v1/session-templates/{id}/config',
        'POST /api/v1/session-templates/{id}/config',
        'POST /api/v1/api-keys',
        'GET /api/v1/api-keys',
        'DELETE /api/v1/api-keys/{id}',
        'GET /api/v1/config/export',
        'POST /api/v1/config/import',
        'GET /api/v1/environments',
        'POST /api/v1/environments',
        'PUT /api/v1/environments/{environment}',
        'DELETE /api/v1/environments/{environment}',
        'GET /api/v1/environments/{environment}/deployments',
        'PUT /api/v1/environments/{environment}/deployments/{templateId}',
        'DELETE /api/v1/environments/{environment}/deployments/{templateId}',
        'POST /api/v1/environments/{environment}/deployments/{templateId}/promote-canary',
        'DELETE /api/v1/environments/{environment}/deployments/{templateId}/canary',
        'POST /api/v1/environments/{environment}/promote',
        'GET /api/v1/environments/{environment}/deployments/{templateId}/history',
        'GET /api/v1/environments/{environment}/deployments/{templateId}/metrics',
        'POST /api/v1/session-outcomes',
        'POST /api/v1/environments/{environment}/deployments/{templateId}/rollback',
        'PUT /api/v1/environments/{environment}/deployments/{templateId}/canary',
        'GET /api/v1/environments/{environment}/served',
        'GET /api/v1/events',
        'POST /api/v1/webhooks',
        'GET /api/v1/webhooks',
        'PUT /api/v1/webhooks/{id}',
        'DELETE /api/v1/webhooks/{id}',
        'POST /api/v1/webhooks/{id}/rotate-secret',
        'POST /api/v1/webhooks/{id}/test',
        'GET /api/v1/webhooks/{id}/deliveries',
        'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/retry',
        'POST /api/v1/webhooks/{id}/recover',
      ].sort(),
    );
    for (const { operation } of operations) {
      expect(operation.operationId).toBeTruthy();
      expect(operation.tags).toHaveLength(1);
    }
    const templates = doc.paths['/api/v1/session-templates'];
    expect(templates.post.tags).toEqual(['session-templates']);
    expect(templates.post.responses['201'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SessionTemplate',
    });
    expect(doc.components.schemas.SessionTemplate.properties.version).toBeTruthy();
    expect(templates.post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateSessionTemplateInput',
    });
    expect(doc.components.schemas.CreateSessionTemplateInput.required).toEqual(['name', 'agentIds']);
    expect(Object.keys(templates.post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403']),
    );
    // What docs/api.md's "Details clients rely on" promises of the document.
    expect(doc.paths['/api/v1/auth/login'].post.responses['401']).toBeTruthy();
    expect(Object.keys(doc.paths['/api/v1/events'].get.responses['200'].content)).toEqual([
      'text/event-stream',
    ]);
    const config = doc.paths['/api/v1/session-templates/{id}/config'].get;
    expect(config.parameters.map((p: { name: string }) => p.name)).not.toContain('variables');
    expect(config.responses['200'].headers).toHaveProperty('ETag');
    expect(config.responses['200'].headers).toHaveProperty('x-request-id');
    expect(templates.post.responses['201'].headers).toHaveProperty('Idempotent-Replayed');
    expect(doc.paths['/api/v1/auth/login'].post.responses['429'].headers).toHaveProperty('Retry-After');
    for (const name of ['DeployInput', 'PromoteInput', 'RollbackInput', 'RampCanaryInput']) {
      // The path names the environment: no body field names it again.
      expect(Object.keys(doc.components.schemas[name].properties), name).not.toContain('name');
      expect(Object.keys(doc.components.schemas[name].properties), name).not.toContain('environment');
    }
    // A create conflicts only through its Idempotency-Key; an update with a stale version too.
    expect(templates.post.responses['409'].description).toMatch(/^or, with an `Idempotency-Key`/);
    expect(doc.paths['/api/v1/session-templates/{id}'].put.responses['409'].description).toMatch(/version/);
    expect(doc.paths['/api/v1/session-templates/{id}'].delete.responses['204']).toBeTruthy();
    expect(doc.paths['/api/v1/session-templates/{id}/clone'].post.responses['201']).toBeTruthy();
    expect(templates.get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'limit',
      'cursor',
      'search',
      'status',
    ]);
    expect(doc.components.securitySchemes.bearerAuth.scheme).toBe('bearer');

    const ui = await fetch(`${server.url}/docs/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('a non-UUID path id is 400, never 500', async () => {
    for (const path of [
      '/api/v1/agents/not-a-uuid',
      '/api/v1/session-templates/123',
      '/api/v1/session-templates/%00',
    ]) {
      const res = await http(server, 'GET', path, { token: tenant.memberToken });
      expect([400, 404]).toContain(res.status);
      expect(res.body.error.code).toMatch(/BAD_REQUEST|NOT_FOUND/);
    }
  });
});

describe(`values the database cannot hold (${driverName})`, () => {
  it('NUL characters and out-of-range cursors are 400, never 500', async () => {
    const token = tenant.adminToken;
    expectError(
      await http(server, 'POST', '/api/v1/agents', { token, body: { name: 'a\u0000b', instructions: 'i' } }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await http(server, 'POST', '/api/v1/auth/signup', {
        body: { email: 'nul@example.com', password: 'password123', organizationName: 'x\u0000' },
      }),
      400,
      'BAD_REQUEST',
    );
    expectError(await http(server, 'GET', '/api/v1/agents?search=%00', { token }), 400, 'BAD_REQUEST');
    for (const key of ['+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000', 'x|y', '|||']) {
      const cursor = Buffer.from(key).toString('base64url');
      expectError(
        await http(server, 'GET', `/api/v1/agents?cursor=${cursor}`, { token }),
        400,
        'BAD_REQUEST',
      );
    }
  });
});
