import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp } from '@switchboard/server/testing';
import createFetchClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTypes, SCHEMA_FILE } from '../src/generate';
import type { components, paths } from '../src/schema';

const REDOCLY = fileURLToPath(new URL('../node_modules/.bin/redocly', import.meta.url));

/** The generated types carry the contract's names. */
type SessionTemplate = components['schemas']['SessionTemplate'];

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
        // Every request body and 2xx JSON response is a named component, with an example.
        // Actions on what the path names take no body.
        const bodiless = /\/(clone|promote-canary|rotate-secret|test|retry)$/.test(path);
        expect(Boolean(operation.requestBody), where).toBe(
          (method === 'post' || method === 'put') && !bodiless,
        );
        if ((method === 'post' || method === 'put') && !bodiless) {
          const body = operation.requestBody.content['application/json'];
          expect(body.schema, where).toEqual({
            $ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/),
          });
          expect(body.example, where).toBeTruthy();
        }
        for (const status of statuses.filter((code) => code.startsWith('2'))) {
          const json = operation.responses[status].content?.['application/json'];
          if (!json) continue;
          expect(json.schema, `${where} ${status}`).toEqual({
            $ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/),
          });
          expect(json.example, `${where} ${status}`).toBeTruthy();
        }
        expect(operation.security, where).toBeDefined();
        if (operation.security.length) {
          // A user's token everywhere; an API key too on agents, templates and deployments (docs/api.md
          // "API keys"), never on managing environments themselves.
          const keys =
            /^\/api\/v1\/(agents|session-templates|session-outcomes|config|catalog)/.test(path) ||
            /^\/api\/v1\/environments\/\{environment\}\/(deployments|promote|served)/.test(path) ||
            (path === '/api/v1/environments' && method === 'get') ||
            path === '/api/v1/events';
          expect(operation.security, where).toEqual(
            keys ? [{ bearerAuth: [] }, { apiKey: [] }] : [{ bearerAuth: [] }],
          );
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
    // Every POST that takes an Idempotency-Key (all but signup and login) can conflict through it.
    const idempotent = Object.entries(document.paths)
      .filter(([, operations]) => 'post' in (operations as object))
      .map(([path]) => `POST ${path}`)
      .filter((name) => !['POST /api/v1/auth/login'].includes(name));
    expect(conflicts.sort()).toEqual(
      [
        ...new Set([
          ...idempotent,
          'DELETE /api/v1/agents/{id}',
          'DELETE /api/v1/environments/{environment}',
          'DELETE /api/v1/environments/{environment}/deployments/{templateId}',
          'DELETE /api/v1/environments/{environment}/deployments/{templateId}/canary',
          'DELETE /api/v1/session-templates/{id}',
          'PUT /api/v1/agents/{id}',
          'PUT /api/v1/environments/{environment}',
          'PUT /api/v1/environments/{environment}/deployments/{templateId}',
          'PUT /api/v1/environments/{environment}/deployments/{templateId}/canary',
          'PUT /api/v1/organization/members/{id}',
          'PUT /api/v1/session-templates/{id}',
        ]),
      ].sort(),
    );
    expect(Object.keys(document.paths['/api/v1/session-templates/{id}'].delete.responses)).toEqual(
      expect.arrayContaining(['204', '401', '403', '404']),
    );
    expect(document.paths['/api/v1/session-templates/{id}/clone'].post.responses['201']).toBeTruthy();
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining([
        'User',
        'Organization',
        'Agent',
        'SessionTemplate',
        'AgentPage',
        'SessionTemplatePage',
        'AuthResult',
        'Session',
        'MemberList',
        'Error',
        'SignupInput',
        'LoginInput',
        'AddMemberInput',
        'UpdateMemberInput',
        'CreateAgentInput',
        'UpdateAgentInput',
        'CreateSessionTemplateInput',
        'UpdateSessionTemplateInput',
      ]),
    );
    // Entities are referenced, not repeated: a page's items are the entity's component.
    expect(document.components.schemas.SessionTemplatePage.properties.items.items).toEqual({
      $ref: '#/components/schemas/SessionTemplate',
    });
    // Over REST the id is in the path, never in the body.
    expect(document.components.schemas.UpdateSessionTemplateInput.properties.id).toBeUndefined();
  });

  it('states the rules the server enforces, and the server keeps to them', async () => {
    const schemas = document.components.schemas;
    for (const name of ['SignupInput', 'LoginInput', 'AddMemberInput']) {
      expect(schemas[name].properties.email.format, name).toBe('email');
    }
    expect(schemas.CreateAgentInput.properties.panels.uniqueItems).toBe(true);
    expect(schemas.CreateSessionTemplateInput.properties.enabledPanels.uniqueItems).toBe(true);
    expect(schemas.CreateWebhookInput.properties.url).toMatchObject({
      format: 'uri',
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
    });
    const eventTypes = schemas.CreateWebhookInput.properties.eventTypes;
    expect(eventTypes.uniqueItems).toBe(true);
    expect(eventTypes.items.enum).toEqual(
      expect.arrayContaining(['*', 'sessionTemplate.*', 'sessionTemplate.updated', 'deployment.rolledBack']),
    );
    const key = document.paths['/api/v1/agents'].post.parameters.find(
      (parameter: { name: string }) => parameter.name === 'Idempotency-Key',
    );
    expect(key.schema).toEqual({ type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' });

    // Each rule, broken, is a 400 that names the field.
    const api = createFetchClient<paths>({ baseUrl: url });
    const badEmail = await api.POST('/api/v1/auth/signup', {
      body: { email: 'not-an-email', password: 'password123', organizationName: 'Rules' },
    });
    expect(badEmail.response.status).toBe(400);
    const signup = await api.POST('/api/v1/auth/signup', {
      body: { email: `rules-${Date.now()}@example.com`, password: 'password123', organizationName: 'Rules' },
    });
    const headers = { authorization: `Bearer ${signup.data!.accessToken}` };
    const fieldOf = (error: unknown) =>
      (error as { error: { details: { issues: { path: string[] }[] } } }).error.details.issues[0]!.path[0];
    const twice = await api.POST('/api/v1/agents', {
      headers,
      body: { name: 'Twice', instructions: 'i', panels: ['notepad', 'notepad'] },
    });
    expect([twice.response.status, fieldOf(twice.error)]).toEqual([400, 'panels']);
    for (const [body, field] of [
      [{ url: 'ftp://hooks.example.com', eventTypes: ['*'] }, 'url'],
      [{ url: ' https://hooks.example.com', eventTypes: ['*'] }, 'url'],
      [{ url: 'https://hooks.example.com', eventTypes: ['sessionTemplate.renamed'] }, 'eventTypes'],
      [{ url: 'https://hooks.example.com', eventTypes: ['*', '*'] }, 'eventTypes'],
    ] as const) {
      const refused = await api.POST('/api/v1/webhooks', { headers, body: body as never });
      expect([refused.response.status, fieldOf(refused.error)], JSON.stringify(body)).toEqual([400, field]);
    }
    const accepted = await api.POST('/api/v1/webhooks', {
      headers,
      body: {
        url: 'HTTPS://hooks.example.com/in',
        eventTypes: ['sessionTemplate.*', 'deployment.rolledBack'],
      },
    });
    expect(accepted.response.status).toBe(201);
    const nonAscii = await fetch(`${url}/api/v1/agents`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': 'caf\u00e9' },
      body: JSON.stringify({ name: 'Key', instructions: 'i' }),
    });
    expect(nonAscii.status).toBe(400);
  });

  it("passes Redocly's recommended rules with no error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-openapi-'));
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const result = spawnSync(REDOCLY, ['lint', file, '--extends', 'recommended', '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const report = JSON.parse(result.stdout) as {
      problems: { severity: string; message: string; ruleId: string }[];
    };
    const errors = report.problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
  });

  it('generates the committed types with openapi-typescript', async () => {
    expect(await generateTypes(document)).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('request bodies need only their required fields in any generator: no `default` keyword, `required` exactly what the server requires', () => {
    // openapi-generator (typescript-fetch) makes a property required exactly when `required` lists
    // it; openapi-typescript 7 with its default options also when it has a `default`.
    const requestBodies = new Set<string>();
    for (const methods of Object.values(document.paths as Record<string, Record<string, any>>)) {
      for (const operation of Object.values(methods)) {
        const ref = operation.requestBody?.content['application/json'].schema.$ref as string | undefined;
        if (ref) requestBodies.add(ref.split('/').pop()!);
      }
    }
    const defaults: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'default') defaults.push(where);
        if (key !== 'examples') visit(value, `${where}/${key}`);
      }
    };
    for (const name of requestBodies) visit(document.components.schemas[name], name);
    expect(defaults).toEqual([]);
    const required = (name: string) => document.components.schemas[name].required ?? [];
    expect(required('CreateAgentInput')).toEqual(['name', 'instructions']);
    expect(required('CreateSessionTemplateInput')).toEqual(['name', 'agentIds']);
    expect(required('UpdateSessionTemplateInput')).toEqual([]);
    expect(required('ImportInput')).toEqual(['bundle']);
    // A default is still documented, in words.
    expect(document.components.schemas.CreateAgentInput.properties.model.description).toMatch(
      /Default: `"gpt-4.1-mini"`/,
    );
    // Answers keep every field they always carry required.
    expect(document.components.schemas.Agent.required).toEqual(
      expect.arrayContaining(['model', 'voice', 'tools', 'modality', 'panels', 'handoffTargets', 'version']),
    );
  });

  it('a client generated with default options sends a create with only the required fields', async () => {
    const api = createFetchClient<paths>({ baseUrl: url });
    const signup = await api.POST('/api/v1/auth/signup', {
      body: {
        email: `minimal-${Date.now()}@example.com`,
        password: 'password123',
        organizationName: 'Minimal',
      },
    });
    const headers = { authorization: `Bearer ${signup.data!.accessToken}` };
    // These bodies typecheck against the generated types (`pnpm typecheck` compiles this file).
    const agent = await api.POST('/api/v1/agents', {
      headers,
      body: { name: 'Minimal', instructions: 'Hi' },
    });
    expect(agent.response.status).toBe(201);
    const created: components['schemas']['Agent'] = agent.data!;
    expect(created).toMatchObject({ model: 'gpt-4.1-mini', tools: [], panels: [], modality: 'audio_only' });
    const template = await api.POST('/api/v1/session-templates', {
      headers,
      body: { name: 'Minimal', agentIds: [created.id] },
    });
    expect(template.response.status).toBe(201);
    const plan = await api.POST('/api/v1/config/import', {
      headers,
      body: {
        bundle: {
          format: 'switchboard.bundle/v1',
          agents: [{ name: 'From bundle', instructions: 'i' }],
          sessionTemplates: [],
        },
      },
    });
    expect(plan.response.status).toBe(200);
    expect(plan.data!.changes).toEqual([
      { kind: 'agent', name: 'From bundle', action: 'create', fields: [] },
    ]);
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
    const template: SessionTemplate = created.data!;
    const id = template.id;
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
