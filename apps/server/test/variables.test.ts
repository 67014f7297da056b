import { parseInstructions, referencedVariables, renderInstructions } from '@switchboard/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caller,
  capturedLog,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  http,
  ok,
  startServer,
  type Tenant,
  type TestServer,
  transports,
} from './server';

/** Typed variables in agent instructions (docs/api.md "Variables"), checked when they are written. */
const log = capturedLog();
const logLines = log.lines;
let server: TestServer;
let tenant: Tenant;
beforeAll(async () => {
  server = await startServer({ logger: log.logger });
  tenant = await createTenant(server, 'Variables');
});
afterAll(() => server?.close());

describe('the reference parser', () => {
  it.each([
    ['Hello {{name}}!', ['name'], 'Hello Ada!'],
    ['Hello {{ name }} and {{  role\t}}', ['name', 'role'], 'Hello Ada and engineer'],
    ['{{name}}{{role}}', ['name', 'role'], 'Adaengineer'],
    ['Escaped \\{{name}} stays', [], 'Escaped {{name}} stays'],
    ['Unterminated {{name', [], 'Unterminated {{name'],
    ['Not a name {{ Name }} or {{1x}} or {{}}', [], 'Not a name {{ Name }} or {{1x}} or {{}}'],
    ['Ünïcödé {{name}}→日本', ['name'], 'Ünïcödé Ada→日本'],
    ['{{name}} twice {{name}}', ['name'], 'Ada twice Ada'],
    ['{{{name}}}', ['name'], '{Ada}'],
    ['a }} b {{ name }} }}', ['name'], 'a }} b Ada }}'],
    ['\\\\{{name}}', [], '\\{{name}}'],
    ['\\{{{{role}}', ['role'], '{{engineer'],
    ['{{ name }\\{{role}}', [], '{{ name }{{role}}'],
  ])('%j refers to %j and renders %j', (instructions, names, rendered) => {
    expect(referencedVariables(instructions)).toEqual(names);
    expect(renderInstructions(instructions, { name: 'Ada', role: 'engineer' })).toBe(rendered);
  });

  it('splits text and references in order', () => {
    expect(parseInstructions('Hi {{name}}, {{ role }}.')).toEqual([
      { text: 'Hi ' },
      { variable: 'name' },
      { text: ', ' },
      { variable: 'role' },
      { text: '.' },
    ]);
    expect(renderInstructions('[{{gone}}]', { gone: null })).toBe('[]');
  });
});

const name = { name: 'candidate_name', type: 'string', required: true };
const language = { name: 'language', type: 'enum', enumValues: ['en', 'de'], default: 'en' };

describe(`variables (${driverName})`, () => {
  for (const transport of transports) {
    it(`declarations are checked, and every undeclared reference is named, over ${transport}`, async () => {
      const admin = caller(server, transport, tenant.adminToken);
      const created = expectStatus(
        await admin('agents.create', {
          name: `Greeter ${transport}`,
          instructions: 'Hello {{ candidate_name }}, we speak {{language}}.',
          variables: [name, language],
        }),
        ok(transport, 201),
      );
      expect(created.variables).toEqual([
        { ...name, default: null, description: '' },
        { ...language, required: false, description: '' },
      ]);
      const undeclared = expectError(
        await admin('agents.create', {
          name: 'Loose',
          instructions: 'Hi {{a}}, {{ b }} and {{a}} and {{candidate_name}}',
          variables: [name],
        }),
        400,
        'BAD_REQUEST',
      );
      expect(undeclared.details.undeclaredVariables).toEqual(['a', 'b']);
      for (const [variables, path] of [
        [[{ name: 'Bad-Name', type: 'string' }], ['variables', '0', 'name']],
        [[{ name: 'x', type: 'enum' }], ['variables', '0', 'enumValues']],
        [[{ name: 'x', type: 'string', enumValues: ['a'] }], ['variables', '0', 'enumValues']],
        [[{ name: 'x', type: 'string', required: true, default: 'y' }], ['variables', '0', 'default']],
        [[{ name: 'x', type: 'number', default: '3' }], ['variables', '0', 'default']],
        [[{ name: 'x', type: 'enum', enumValues: ['a'], default: 'b' }], ['variables', '0', 'default']],
        [
          [
            { name: 'x', type: 'string' },
            { name: 'x', type: 'number' },
          ],
          ['variables', '1', 'name'],
        ],
      ] as const) {
        const refused = expectError(
          await admin('agents.create', { name: 'Refused', instructions: 'i', variables }),
          400,
          'BAD_REQUEST',
        );
        expect(
          refused.details.issues.map((issue: { path: string[] }) => issue.path),
          JSON.stringify(variables),
        ).toContainEqual(path);
      }
      // An update that drops a declaration still referred to is refused; so is a new reference.
      expectError(await admin('agents.update', { id: created.id, variables: [name] }), 400, 'BAD_REQUEST');
      const added = expectError(
        await admin('agents.update', { id: created.id, instructions: 'Hi {{ nickname }}' }),
        400,
        'BAD_REQUEST',
      );
      expect(added.details.undeclaredVariables).toEqual(['nickname']);
      const updated = expectStatus(
        await admin('agents.update', {
          id: created.id,
          instructions: 'Hi {{candidate_name}}',
          variables: [name],
        }),
        200,
      );
      expect(updated.variables).toHaveLength(1);
    });
  }

  it("a template's agents must agree on a shared variable; an agent change that would break that is 409", async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const first = expectStatus(
      await admin('agents.create', {
        name: 'First',
        instructions: 'Speak {{language}}',
        variables: [language],
      }),
      201,
    );
    const second = expectStatus(
      await admin('agents.create', {
        name: 'Second',
        instructions: 'Also {{language}}',
        variables: [{ ...language, default: 'de' }],
      }),
      201,
    );
    const third = expectStatus(
      await admin('agents.create', {
        name: 'Third',
        instructions: 'Same {{language}}',
        variables: [language],
      }),
      201,
    );
    for (const transport of transports) {
      const conflict = expectError(
        await caller(
          server,
          transport,
          tenant.adminToken,
        )('sessionTemplates.create', {
          name: 'Clash',
          agentIds: [first.id, second.id],
        }),
        400,
        'BAD_REQUEST',
      );
      expect(conflict.details.variableConflicts).toEqual([
        { name: 'language', agentIds: [first.id, second.id] },
      ]);
    }
    const template = expectStatus(
      await admin('sessionTemplates.create', { name: 'Agreeing', agentIds: [first.id, third.id] }),
      201,
    );
    const refused = expectError(
      await admin('agents.update', {
        id: third.id,
        variables: [{ ...language, required: true, default: null }],
      }),
      409,
      'CONFLICT',
    );
    expect(refused.details.templateIds).toEqual([template.id]);
    // What a client needs to say it: which template would get which conflict.
    expect(refused.details).toMatchObject({
      reason: 'breaksTemplates',
      templates: [
        {
          id: template.id,
          name: 'Agreeing',
          problem: 'agents declare these variables differently: language',
          variableConflicts: [{ name: 'language', agentIds: [first.id, third.id] }],
        },
      ],
    });
  });

  it('the session config merges the declarations and renders each agent, refusing in one 400 every wrong value', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const greeter = expectStatus(
      await admin('agents.create', {
        name: 'Session greeter',
        instructions: 'Hello {{candidate_name}}, in {{language}}.',
        variables: [{ ...name, description: 'From the greeter' }, language],
      }),
      201,
    );
    const coach = expectStatus(
      await admin('agents.create', {
        name: 'Session coach',
        instructions: 'Coach at level {{level}} ({{ remote }}).',
        variables: [
          { name: 'level', type: 'number', default: 3 },
          { name: 'remote', type: 'boolean' },
          { ...language, description: 'Not this one' },
        ],
      }),
      201,
    );
    const template = expectStatus(
      await admin('sessionTemplates.create', { name: 'Rendered', agentIds: [greeter.id, coach.id] }),
      201,
    );
    for (const transport of transports) {
      const read = caller(server, transport, tenant.memberToken);
      // Values go with the POST (over REST the GET route takes none).
      const withValues = (variables: Record<string, unknown>) =>
        transport === 'rest'
          ? http(server, 'POST', `/api/v1/session-templates/${template.id}/config`, {
              token: tenant.memberToken,
              body: { variables },
            })
          : read('sessionTemplates.config', { id: template.id, variables });
      const plain = expectStatus(await read('sessionTemplates.config', { id: template.id }), 200);
      expect(plain.variables.map((variable: { name: string }) => variable.name)).toEqual([
        'candidate_name',
        'language',
        'level',
        'remote',
      ]);
      expect(plain.variables[0].description).toBe('From the greeter');
      expect(plain.variables[1].description).toBe('');
      // The greeter needs a required value nobody gave; the coach renders with its defaults.
      expect(
        plain.agents.map((agent: { renderedInstructions: string | null }) => agent.renderedInstructions),
      ).toEqual([null, 'Coach at level 3 ().']);
      const rendered = expectStatus(await withValues({ candidate_name: 'Ada-7f3q', remote: true }), 200);
      expect(
        rendered.agents.map((agent: { renderedInstructions: string }) => agent.renderedInstructions),
      ).toEqual(['Hello Ada-7f3q, in en.', 'Coach at level 3 (true).']);
      expect(rendered.etag).not.toBe(plain.etag);
      const wrong = expectError(
        await withValues({ language: 'fr', level: '3', nickname: 'x', remote: 'yes' }),
        400,
        'BAD_REQUEST',
      );
      expect(wrong.details.missingVariables).toEqual(['candidate_name']);
      expect(wrong.details.issues.map((issue: { path: string[] }) => issue.path.join('.')).sort()).toEqual([
        'variables.candidate_name',
        'variables.language',
        'variables.level',
        'variables.nickname',
        'variables.remote',
      ]);
    }
    // The values sent are never logged, at any level.
    expect(logLines.join('\n')).not.toContain('Ada-7f3q');
  });

  it('a restore brings back a variable a later version removed; an import checks references too', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const agent = expectStatus(
      await admin('agents.create', {
        name: 'Versioned',
        instructions: 'Hi {{who}}',
        variables: [{ name: 'who', type: 'string' }],
      }),
      201,
    );
    const second = expectStatus(
      await admin('agents.update', { id: agent.id, instructions: 'Hi there', variables: [] }),
      200,
    );
    expect(second.variables).toEqual([]);
    const restored = expectStatus(await admin('agents.restore', { id: agent.id, toVersion: 1 }), 200);
    expect(restored).toMatchObject({ version: 3, instructions: 'Hi {{who}}' });
    expect(restored.variables.map((variable: { name: string }) => variable.name)).toEqual(['who']);
    const revisions = expectStatus(await admin('agents.revisions', { id: agent.id }), 200);
    expect(revisions.items[0].changes.map((change: { field: string }) => change.field)).toEqual([
      'instructions',
      'variables',
    ]);

    // Exported with its variables, imported back unchanged; a bundle entry referring to an
    // undeclared variable is refused, named by its place in the bundle.
    const bundle = expectStatus(await admin('config.export'), 200);
    const exported = bundle.agents.find((spec: { name: string }) => spec.name === 'Versioned');
    expect(exported.variables).toEqual([
      { name: 'who', type: 'string', required: false, default: null, description: '' },
    ]);
    const same = expectStatus(await admin('config.import', { bundle, dryRun: true }), 200);
    expect(same.changes.find((change: { name: string }) => change.name === 'Versioned').action).toBe(
      'unchanged',
    );
    const broken = structuredClone(bundle);
    const index = broken.agents.findIndex((spec: { name: string }) => spec.name === 'Versioned');
    broken.agents[index].instructions = 'Hi {{who}} from {{ place }}';
    const refused = expectError(
      await admin('config.import', { bundle: broken, dryRun: true }),
      400,
      'BAD_REQUEST',
    );
    expect(refused.details.issues).toContainEqual({
      path: ['bundle', 'agents', String(index), 'instructions'],
      message: expect.stringContaining('place'),
    });
  });
});
