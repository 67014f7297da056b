import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOperations } from '../src/http/rest/routes';
import {
  caller,
  createTenant,
  driverName,
  http,
  type Response,
  startServer,
  type Tenant,
  type TestServer,
} from './server';

/**
 * Property-based fuzzing of every REST route and tRPC procedure with valid and mutated input.
 * Invariants: never a 5xx; every error in the contract's shape; afterwards the database holds
 * exactly what the accepted requests wrote. Seeded: FUZZ_SEED=<n> replays a run (fast-check
 * prints the seed of a failure).
 */
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

let server: TestServer;
let tenant: Tenant;
let agentIds: string[];
let templateId: string;
const accepted = { agents: new Set<string>(), templates: new Set<string>() };

beforeAll(async () => {
  server = await startServer();
  tenant = await createTenant(server);
  const admin = caller(server, 'rest', tenant.adminToken);
  const triage = await admin('agents.create', { name: 'Triage', instructions: 'i', panels: ['notepad'] });
  const coder = await admin('agents.create', {
    name: 'Coder',
    instructions: 'i',
    modality: 'audio_screenshare',
    panels: ['coding_ide'],
  });
  agentIds = [triage.body.id, coder.body.id];
  for (const id of agentIds) accepted.agents.add(id);
  const template = await admin('sessionTemplates.create', {
    name: 'Base',
    agentIds,
    modalityProfile: 'audio_screenshare',
  });
  if (template.status !== 201) throw new Error(JSON.stringify(template.body));
  templateId = template.body.id;
  accepted.templates.add(templateId);
});
afterAll(() => server?.close());

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, 1e308, -0),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '300',
    'null',
    'audio_only',
    'coding_ide',
    '../../etc/passwd',
    "'; drop table users; --",
  ),
  fc.uuid(),
  fc.array(fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }), fc.integer()), { maxLength: 60 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 4 }),
);

const fieldNames = fc.constantFrom(
  'name',
  'description',
  'agentIds',
  'initialAgentId',
  'modalityProfile',
  'enabledPanels',
  'maxDurationSeconds',
  'idleTimeoutSeconds',
  'version',
  'instructions',
  'model',
  'voice',
  'handoffTargets',
  'tools',
  'modality',
  'panels',
  'email',
  'password',
  'fullName',
  'organizationName',
  'role',
  'isActive',
  'id',
  'organizationId',
  'createdAt',
  '__proto__',
  'constructor',
  'prototype',
  'limit',
  'cursor',
  'search',
);

/** A valid body for the route, or one with a few fields replaced, added or removed. */
function bodyFor(procedure: string) {
  const valid: Record<string, unknown> =
    {
      'sessionTemplates.create': {
        name: 'Fuzz',
        agentIds,
        initialAgentId: agentIds[0],
        modalityProfile: 'audio_screenshare',
        enabledPanels: ['coding_ide'],
        maxDurationSeconds: 60,
        idleTimeoutSeconds: 30,
      },
      'sessionTemplates.update': { name: 'Fuzzed', enabledPanels: ['notepad'], version: 1 },
      'agents.create': {
        name: 'Fuzz agent',
        instructions: 'i',
        modality: 'audio_camera',
        panels: ['whiteboard'],
      },
      'agents.update': { name: 'Fuzz agent 2', tools: ['search'] },
      'auth.signup': { email: 'fuzz@example.com', password: 'password123', organizationName: 'Fuzz' },
      'auth.login': { email: 'fuzz@example.com', password: 'password123' },
      'organization.addMember': { email: 'fuzz-member@example.com', password: 'password123', role: 'member' },
      'organization.updateMember': { role: 'member' },
    }[procedure] ?? {};
  return fc.oneof(
    fc.constant(valid),
    fc
      .tuple(
        fc.array(fc.tuple(fieldNames, junk), { minLength: 1, maxLength: 4 }),
        fc.array(fieldNames, { maxLength: 2 }),
      )
      .map(([replaced, removed]) => {
        const body: Record<string, unknown> = { ...(valid as object) };
        for (const [name, value] of replaced)
          Object.defineProperty(body, name, { value, enumerable: true, configurable: true, writable: true });
        for (const name of removed) delete body[name];
        return body;
      }),
    junk,
  );
}

const pathIds = fc.oneof(
  fc.uuid(),
  fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-000000000000', '%00', '..', 'null', 'x'.repeat(300)),
  fc.string({ maxLength: 50 }),
);

function checkResponse(res: Response, context: string) {
  expect(res.status, context).toBeLessThan(500);
  if (res.status >= 400) {
    const error = res.body?.error;
    expect(typeof error?.code, context).toBe('string');
    expect(typeof error?.message, context).toBe('string');
    expect(typeof error?.details, context).toBe('object');
    expect(JSON.stringify(res.body), context).not.toMatch(/ at .*\.ts:\d+|select .* from|insert into/i);
  }
}

/** Keeps `accepted` equal to what succeeded: creates and clones add, deletes remove. */
function remember(
  procedure: string,
  succeeded: boolean,
  result: { id?: string } | undefined,
  inputId: unknown,
) {
  if (!succeeded) return;
  if (procedure === 'agents.create' && result?.id) accepted.agents.add(result.id);
  if ((procedure === 'sessionTemplates.create' || procedure === 'sessionTemplates.clone') && result?.id) {
    accepted.templates.add(result.id);
  }
  if (procedure === 'agents.delete') accepted.agents.delete(String(inputId));
  if (procedure === 'sessionTemplates.delete') accepted.templates.delete(String(inputId));
}

async function walk(procedure: string): Promise<string[]> {
  const list = caller(server, 'rest', tenant.adminToken);
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(procedure, { limit: 100, ...(cursor ? { cursor } : {}) });
    ids.push(...page.body.items.map((item: { id: string }) => item.id));
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

describe(`fuzzing (${driverName}, seed ${seed})`, () => {
  for (const operation of restOperations()) {
    it(`REST ${operation.method} ${operation.path}`, async () => {
      const hasId = operation.pathParams.length > 0;
      await fc.assert(
        fc.asyncProperty(
          bodyFor(operation.procedure),
          fc.oneof(fc.constant(templateId), fc.constantFrom(...agentIds), pathIds),
          fc.dictionary(
            fc.constantFrom('limit', 'cursor', 'search', 'x'),
            fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)),
            { maxKeys: 3 },
          ),
          fc.boolean(),
          async (body, id, query, asMember) => {
            let path = `/api/v1${operation.path.replace('{id}', encodeURIComponent(String(id)))}`;
            if (operation.method === 'GET')
              path += `?${new URLSearchParams(query as Record<string, string>)}`;
            const token = asMember ? tenant.memberToken : tenant.adminToken;
            const res = await http(server, operation.method, path, {
              token,
              body:
                operation.method === 'GET'
                  ? undefined
                  : body === undefined
                    ? undefined
                    : JSON.stringify(body),
              headers: { 'content-type': 'application/json' },
            });
            checkResponse(res, `${operation.method} ${path} ${JSON.stringify(body)?.slice(0, 300)}`);
            const succeeded = res.status >= 200 && res.status < 300;
            remember(operation.procedure, succeeded, res.body, hasId ? id : undefined);
          },
        ),
        { seed, numRuns: RUNS },
      );
    });
  }

  it('tRPC procedures over HTTP, with junk inputs, GET and POST, batched and not', async () => {
    const procedures = restOperations().map((operation) => ({
      name: operation.procedure,
      query: operation.method === 'GET',
    }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...procedures),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          bodyFor('sessionTemplates.create'),
          fc.record({ id: pathIds }),
        ),
        fc.boolean(),
        fc.boolean(),
        async (procedure, input, batched, wrongMethod) => {
          const useGet = procedure.query !== wrongMethod;
          const wire = batched ? { 0: input } : input;
          const path = `/trpc/${procedure.name}${batched ? '?batch=1' : ''}`;
          const res = useGet
            ? await http(
                server,
                'GET',
                `${path}${batched ? '&' : '?'}input=${encodeURIComponent(JSON.stringify(wire) ?? '')}`,
                {
                  token: tenant.adminToken,
                },
              )
            : await http(server, 'POST', path, {
                token: tenant.adminToken,
                body: JSON.stringify(wire ?? null),
              });
          expect(res.status, `${path} ${JSON.stringify(input)?.slice(0, 200)}`).toBeLessThan(500);
          const envelopes = Array.isArray(res.body) ? res.body : [res.body];
          for (const envelope of envelopes) {
            if (envelope?.error) {
              expect(typeof envelope.error.data.code).toBe('string');
              expect(typeof envelope.error.data.details).toBe('object');
              expect(envelope.error.data.httpStatus).toBeLessThan(500);
            } else if (envelope && 'result' in envelope && !useGet) {
              const inputId = (input as { id?: unknown } | null)?.id;
              remember(procedure.name, true, envelope.result.data ?? undefined, inputId);
            }
          }
        },
      ),
      { seed, numRuns: RUNS * 4 },
    );
  });

  it('leaves exactly what the accepted requests wrote', async () => {
    expect(new Set(await walk('sessionTemplates.list'))).toEqual(accepted.templates);
    expect(new Set(await walk('agents.list'))).toEqual(accepted.agents);
  });
});
