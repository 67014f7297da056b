import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp } from '@switchboard/server/testing';
import createFetchClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTypes, SCHEMA_FILE } from '../src/generate';
import type { paths } from '../src/schema';

let url: string;
let close: () => Promise<void>;
let document: Record<string, any>;
beforeAll(async () => {
  ({ url, close } = await startTestApp());
  document = (await (await fetch(`${url}/api/v1/openapi.json`)).json()) as Record<string, any>;
});
afterAll(() => close?.());

describe(`the OpenAPI document (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('passes a real validator', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('documents every operation: operationId, tag, request schema, real statuses, security', () => {
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toMatch(/^\w+$/);
        expect(ids.has(operation.operationId), where).toBe(false);
        ids.add(operation.operationId);
        expect(operation.tags, where).toHaveLength(1);
        const statuses = Object.keys(operation.responses);
        expect(statuses, where).toContain('400');
        for (const status of statuses.filter((code) => Number(code) >= 400)) {
          expect(operation.responses[status].content['application/json'].schema.$ref, where).toBe(
            '#/components/schemas/Error',
          );
        }
        if ((method === 'post' || method === 'put') && !path.endsWith('/clone')) {
          expect(operation.requestBody.content['application/json'].schema.type, where).toBe('object');
        }
        if (operation.security === undefined) {
          expect(statuses, where).toEqual(expect.arrayContaining(['401']));
        }
      }
    }
    const templates = document.paths['/api/v1/session-templates'];
    expect(Object.keys(templates.post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403']),
    );
    // 409 exactly where an operation can answer it.
    const conflicts = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations as Record<string, { responses: Record<string, unknown> }>)
        .filter(([, operation]) => '409' in operation.responses)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(conflicts.sort()).toEqual([
      'DELETE /api/v1/agents/{id}',
      'POST /api/v1/auth/signup',
      'POST /api/v1/organization/members',
      'PUT /api/v1/agents/{id}',
      'PUT /api/v1/organization/members/{id}',
      'PUT /api/v1/session-templates/{id}',
    ]);
    expect(Object.keys(document.paths['/api/v1/session-templates/{id}'].delete.responses)).toEqual(
      expect.arrayContaining(['204', '401', '403', '404']),
    );
    expect(document.paths['/api/v1/session-templates/{id}/clone'].post.responses['201']).toBeTruthy();
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('generates the committed types with openapi-typescript', async () => {
    expect(await generateTypes(document)).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('round-trips a session template with a client generated from it (openapi-fetch)', async () => {
    const api = createFetchClient<paths>({ baseUrl: url });
    const signup = await api.POST('/api/v1/auth/signup', {
      body: { email: `openapi-${Date.now()}@example.com`, password: 'password123', organizationName: 'REST' },
    });
    expect(signup.response.status).toBe(201);
    const headers = { authorization: `Bearer ${signup.data!.accessToken}` };
    const agent = await api.POST('/api/v1/agents', {
      headers,
      body: { name: 'Coder', instructions: 'Pair', modality: 'audio_screenshare', panels: ['coding_ide'] },
    });
    expect(agent.response.status).toBe(201);
    const created = await api.POST('/api/v1/session-templates', {
      headers,
      body: {
        name: 'Interview',
        agentIds: [agent.data!.id],
        modalityProfile: 'audio_screenshare',
        enabledPanels: ['coding_ide'],
      },
    });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const list = await api.GET('/api/v1/session-templates', { headers, params: { query: { limit: 10 } } });
    expect(list.data!.items.map((item) => item.id)).toEqual([id]);
    const updated = await api.PUT('/api/v1/session-templates/{id}', {
      headers,
      params: { path: { id } },
      body: { name: 'Renamed', version: 1 },
    });
    expect(updated.data).toMatchObject({ name: 'Renamed', version: 2 });
    const stale = await api.PUT('/api/v1/session-templates/{id}', {
      headers,
      params: { path: { id } },
      body: { name: 'Stale', version: 1 },
    });
    expect(stale.response.status).toBe(409);
    expect(stale.error!.error.code).toBe('CONFLICT');
    const clone = await api.POST('/api/v1/session-templates/{id}/clone', {
      headers,
      params: { path: { id } },
    });
    expect(clone.response.status).toBe(201);
    expect(clone.data!.name).toBe('Renamed (Copy)');
    const deleted = await api.DELETE('/api/v1/session-templates/{id}', { headers, params: { path: { id } } });
    expect(deleted.response.status).toBe(204);
    const gone = await api.GET('/api/v1/session-templates/{id}', { headers, params: { path: { id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error!.error.code).toBe('NOT_FOUND');
  });
});
