import { readFileSync } from 'node:fs';
import { buildOpenApiDocument } from '@switchboard/server';
import { startTestApp } from '@switchboard/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEY_API_DIR, heyApiTree, readTree } from '../src/generate';
import {
  type AgentsCreateErrors,
  type AuthLoginErrors,
  agentsCreate,
  authLogin,
  authSignup,
  type SessionTemplate,
  type SessionTemplatesUpdateErrors,
  sessionTemplatesClone,
  sessionTemplatesCreate,
  sessionTemplatesDelete,
  sessionTemplatesGet,
  sessionTemplatesList,
  sessionTemplatesUpdate,
} from '../src/hey-api';
import { client } from '../src/hey-api/client.gen';

/** The SDK @hey-api/openapi-ts generates from the document with its default options, used as a third party would. */
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ url, close } = await startTestApp());
  client.setConfig({ baseUrl: url });
});
afterAll(() => close?.());

describe(`a client generated with @hey-api/openapi-ts (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('is the committed one (pnpm --filter @switchboard/openapi-consumer generate)', async () => {
    const committed = readTree(HEY_API_DIR);
    const generated = await heyApiTree(buildOpenApiDocument());
    expect(Object.keys(committed)).toEqual(Object.keys(generated));
    for (const [file, text] of Object.entries(generated)) expect(committed[file], file).toBe(text);
    // The committed document is the served one.
    const served = await (await fetch(`${url}/api/v1/openapi.json`)).json();
    expect(JSON.parse(JSON.stringify(buildOpenApiDocument()))).toEqual(served);
    expect(readFileSync(`${HEY_API_DIR}/sdk.gen.ts`, 'utf8')).toContain('export const authLogin');
  });

  it('types a wrong password as 401', async () => {
    const email = `hey-login-${Date.now()}@example.com`;
    const signup = await authSignup({ body: { email, password: 'password123', organizationName: 'Hey' } });
    expect(signup.response?.status).toBe(201);
    const wrong = await authLogin({ body: { email, password: 'wrong-password' } });
    expect(wrong.response?.status).toBe(401);
    // Compiles only while the document declares login's 401.
    const unauthorized: AuthLoginErrors[401] | undefined = wrong.error;
    expect(unauthorized?.error.code).toBe('UNAUTHORIZED');
    const right = await authLogin({ body: { email: email.toUpperCase(), password: 'password123' } });
    expect(right.response?.status).toBe(200);
    expect(right.data?.user.email).toBe(email);
  });

  it('round-trips a session template, with its conflicts typed', async () => {
    const signup = await authSignup({
      body: { email: `hey-${Date.now()}@example.com`, password: 'password123', organizationName: 'Hey REST' },
    });
    const auth = { authorization: `Bearer ${signup.data!.accessToken}` };
    const agent = await agentsCreate({
      headers: { ...auth, 'Idempotency-Key': 'hey-agent-1' },
      body: { name: 'Coder', instructions: 'Pair', modality: 'audio_screenshare', panels: ['coding_ide'] },
    });
    expect(agent.response?.status).toBe(201);
    // Another body under the same key: 409 `mismatch`, declared on every POST that takes a key.
    const reused = await agentsCreate({
      headers: { ...auth, 'Idempotency-Key': 'hey-agent-1' },
      body: { name: 'Other', instructions: 'Pair' },
    });
    expect(reused.response?.status).toBe(409);
    const mismatch: AgentsCreateErrors[409] | undefined = reused.error;
    expect(mismatch?.error.details).toMatchObject({ reason: 'mismatch' });

    const created = await sessionTemplatesCreate({
      headers: auth,
      body: {
        name: 'Interview',
        agentIds: [agent.data!.id],
        modalityProfile: 'audio_screenshare',
        enabledPanels: ['coding_ide'],
      },
    });
    expect(created.response?.status).toBe(201);
    const template: SessionTemplate = created.data!;
    const path = { id: template.id };
    const list = await sessionTemplatesList({ headers: auth, query: { limit: 10 } });
    expect(list.data!.items.map((item) => item.id)).toEqual([template.id]);
    const updated = await sessionTemplatesUpdate({
      headers: auth,
      path,
      body: { name: 'Renamed', version: 1 },
    });
    expect(updated.data).toMatchObject({ name: 'Renamed', version: 2 });
    const stale = await sessionTemplatesUpdate({ headers: auth, path, body: { name: 'Stale', version: 1 } });
    expect(stale.response?.status).toBe(409);
    const conflict: SessionTemplatesUpdateErrors[409] | undefined = stale.error;
    expect(conflict?.error.code).toBe('CONFLICT');
    const clone = await sessionTemplatesClone({ headers: auth, path });
    expect(clone.response?.status).toBe(201);
    expect(clone.data!.name).toBe('Renamed (Copy)');
    const deleted = await sessionTemplatesDelete({ headers: auth, path });
    expect(deleted.response?.status).toBe(204);
    const gone = await sessionTemplatesGet({ headers: auth, path });
    expect(gone.response?.status).toBe(404);
    expect(gone.error?.error.code).toBe('NOT_FOUND');
  });
});
