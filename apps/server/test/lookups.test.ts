import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@switchboard/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/core/config';
import {
  caller,
  createTenant,
  driverName,
  expectError,
  expectStatus,
  http,
  MISSING_ID,
  ok,
  startServer,
  type Tenant,
  type TestServer,
  transports,
} from './server';

/** Names for ids (`agents.getMany`, `sessionTemplates.getMany`) and the catalog (docs/api.md "Catalog"). */
let server: TestServer;
let tenant: Tenant;
beforeAll(async () => {
  server = await startServer();
  tenant = await createTenant(server, 'Lookups');
});
afterAll(() => server?.close());

describe(`getMany (${driverName})`, () => {
  for (const transport of transports) {
    it(`answers in the order asked, deleted ones included, others' and unknown ids left out, over ${transport}`, async () => {
      const admin = caller(server, 'rest', tenant.adminToken);
      const agents = [];
      for (const name of ['One', 'Two', 'Three']) {
        agents.push(expectStatus(await admin('agents.create', { name, instructions: 'i' }), 201));
      }
      expectStatus(await admin('agents.delete', { id: agents[1].id }), 204);
      const foreign = await createTenant(server, 'Foreign lookups');
      const theirs = expectStatus(
        await caller(
          server,
          'rest',
          foreign.adminToken,
        )('agents.create', { name: 'Theirs', instructions: 'i' }),
        201,
      );
      const member = caller(server, transport, tenant.memberToken);
      const asked = [
        agents[2].id.toUpperCase(),
        theirs.id,
        agents[1].id,
        MISSING_ID,
        agents[0].id,
        agents[2].id,
      ];
      const found = expectStatus(await member('agents.getMany', { ids: asked }), 200);
      expect(found.items.map((agent: { name: string }) => agent.name)).toEqual(['Three', 'Two', 'One']);
      expect(found.items.map((agent: { isActive: boolean }) => agent.isActive)).toEqual([true, false, true]);
      expect(found.items[0].id).toBe(agents[2].id);

      const template = expectStatus(
        await admin('sessionTemplates.create', { name: 'Deleted later', agentIds: [agents[0].id] }),
        201,
      );
      expectStatus(await admin('sessionTemplates.delete', { id: template.id }), 204);
      const templates = expectStatus(
        await member('sessionTemplates.getMany', { ids: [template.id, MISSING_ID] }),
        200,
      );
      expect(templates.items).toEqual([expect.objectContaining({ id: template.id, isActive: false })]);

      expectError(await member('agents.getMany', { ids: [] }), 400, 'BAD_REQUEST');
      expectError(
        await member('agents.getMany', { ids: Array.from({ length: 101 }, () => MISSING_ID) }),
        400,
        'BAD_REQUEST',
      );
      expectError(await member('agents.getMany', { ids: ['not-an-id'] }), 400, 'BAD_REQUEST');
      expectError(
        await caller(server, transport)('agents.getMany', { ids: [agents[0].id] }),
        401,
        'UNAUTHORIZED',
      );
    });
  }

  it('over REST takes `ids=a,b` and `ids=a&ids=b` alike', async () => {
    const admin = caller(server, 'rest', tenant.adminToken);
    const x = expectStatus(await admin('agents.create', { name: 'X', instructions: 'i' }), 201);
    const y = expectStatus(await admin('agents.create', { name: 'Y', instructions: 'i' }), 201);
    for (const query of [`ids=${y.id},${x.id}`, `ids=${y.id}&ids=${x.id}`, `ids=${y.id},&ids=${x.id}`]) {
      const response = await http(server, 'GET', `/api/v1/agents/by-ids?${query}`, {
        token: tenant.adminToken,
      });
      expect(
        expectStatus(response, 200).items.map((agent: { name: string }) => agent.name),
        query,
      ).toEqual(['Y', 'X']);
    }
    expectError(
      await http(server, 'GET', '/api/v1/agents/by-ids', { token: tenant.adminToken }),
      400,
      'BAD_REQUEST',
    );
  });
});

const strict: Catalog = {
  models: [{ id: 'approved-model', label: 'Approved' }],
  voices: [{ id: 'approved-voice', label: 'Approved voice' }],
  allowOtherModels: false,
  allowOtherVoices: false,
};

describe(`catalog (${driverName})`, () => {
  it('answers the built-in default to members and keys, with gpt-4.1-mini, and anything else allowed', async () => {
    for (const transport of transports) {
      const catalog = expectStatus(await caller(server, transport, tenant.memberToken)('catalog.get'), 200);
      expect(catalog.models.map((model: { id: string }) => model.id)).toContain('gpt-4.1-mini');
      expect(catalog.voices.length).toBeGreaterThan(0);
      expect(catalog).toMatchObject({ allowOtherModels: true, allowOtherVoices: true });
      expectError(await caller(server, transport)('catalog.get'), 401, 'UNAUTHORIZED');
    }
    const key = expectStatus(
      await caller(server, 'rest', tenant.adminToken)('apiKeys.create', { name: 'r', scope: 'read' }),
      201,
    ).secret;
    expectStatus(await http(server, 'GET', '/api/v1/catalog', { token: key }), 200);
    // With anything allowed, any model is taken.
    expectStatus(
      await caller(
        server,
        'rest',
        tenant.adminToken,
      )('agents.create', {
        name: 'Free',
        instructions: 'i',
        model: 'my-own-model',
        voice: 'my-voice',
      }),
      201,
    );
  });

  it('with allowOther… false: a new model or voice outside the list is 400 on create, update and import; what an agent holds stays allowed', async () => {
    const own = await createTenant(server, 'Strict catalog');
    const admin = caller(server, 'rest', own.adminToken);
    const old = expectStatus(
      await admin('agents.create', {
        name: 'Old',
        instructions: 'i',
        model: 'legacy-model',
        voice: 'legacy',
      }),
      201,
    );
    const strictServer = await startServer({ database: server.database, config: { catalog: strict } });
    try {
      for (const transport of transports) {
        const strictAdmin = caller(strictServer, transport, own.adminToken);
        expect(expectStatus(await strictAdmin('catalog.get'), 200)).toEqual(strict);
        const refused = expectError(
          await strictAdmin('agents.create', {
            name: `N ${transport}`,
            instructions: 'i',
            model: 'other',
            voice: 'other',
          }),
          400,
          'BAD_REQUEST',
        );
        expect(refused.details.issues.map((issue: { path: string[] }) => issue.path)).toEqual([
          ['model'],
          ['voice'],
        ]);
        const made = expectStatus(
          await strictAdmin('agents.create', {
            name: `N ${transport}`,
            instructions: 'i',
            model: 'approved-model',
            voice: 'approved-voice',
          }),
          ok(transport, 201),
        );
        // Without a model the default applies, which this catalog does not list.
        expectError(await strictAdmin('agents.create', { name: 'D', instructions: 'i' }), 400, 'BAD_REQUEST');
        // The agent made before keeps its model and voice through updates that send them again.
        expectStatus(await strictAdmin('agents.update', { id: old.id, name: `Old ${transport}` }), 200);
        expectStatus(
          await strictAdmin('agents.update', { id: old.id, model: 'legacy-model', voice: 'legacy' }),
          200,
        );
        const changed = expectError(
          await strictAdmin('agents.update', { id: made.id, voice: 'elsewhere' }),
          400,
          'BAD_REQUEST',
        );
        expect(changed.details.issues).toEqual([
          { path: ['voice'], message: expect.stringContaining('approved-voice') },
        ]);
      }
      const bundle = expectStatus(await caller(strictServer, 'rest', own.adminToken)('config.export'), 200);
      const index = bundle.agents.findIndex((agent: { name: string }) => agent.name === 'N rest');
      bundle.agents[index].model = 'unlisted';
      const refused = expectError(
        await caller(strictServer, 'rest', own.adminToken)('config.import', { bundle, dryRun: true }),
        400,
        'BAD_REQUEST',
      );
      expect(refused.details.issues.map((issue: { path: string[] }) => issue.path)).toEqual([
        ['bundle', 'agents', String(index), 'model'],
      ]);
    } finally {
      await strictServer.close();
    }
  });

  it('CATALOG_FILE: a file of that shape sets it; anything else stops the start with a clear message', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-catalog-'));
    const env = { DATA_DIR: dir };
    const file = path.join(dir, 'catalog.json');
    writeFileSync(file, JSON.stringify(strict));
    expect(loadConfig({ ...env, CATALOG_FILE: file }).catalog).toEqual(strict);
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ ...env, CATALOG_FILE: file })).toThrow(ConfigError);
    writeFileSync(file, JSON.stringify({ ...strict, allowOtherModels: 'no' }));
    expect(() => loadConfig({ ...env, CATALOG_FILE: file })).toThrow(/allowOtherModels/);
    expect(() => loadConfig({ ...env, CATALOG_FILE: path.join(dir, 'missing.json') })).toThrow(ConfigError);
  });
});
