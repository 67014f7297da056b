import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { startTestApp, type TestServer } from '@switchboard/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime, SwitchboardError, SwitchboardUnavailableError } from '../src/index';

/**
 * `@switchboard/runtime` against the real server (docs/api.md "Runtime package"): the same answers as
 * `POST …/config` for the same input, fresh within a second of a change, and answering through an
 * outage from memory or from its snapshot.
 */
let database: TestDatabase;
let server: TestServer;
let port: number;
let token: string;
let apiKey: string;
let templateId: string;
let undeployedId: string;
const runtimes: Runtime[] = [];

async function api(method: string, route: string, body?: unknown, bearer = token) {
  const response = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function ok(method: string, route: string, body?: unknown) {
  const answer = await api(method, route, body);
  if (answer.status >= 300)
    throw new Error(`${method} ${route}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, deadlineMs = 5000) {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return { value, ms: Date.now() - started };
    if (Date.now() - started > deadlineMs) throw new Error(`gave up: ${JSON.stringify(value).slice(0, 300)}`);
    await sleep(20);
  }
}

function runtime(options: Partial<Parameters<typeof createRuntime>[0]> = {}) {
  const made = createRuntime({ url: server.url, apiKey, environment: 'production', ...options });
  runtimes.push(made);
  return made;
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestApp({ database, config: { outcomeFlushMs: 100 } });
  port = Number(new URL(server.url).port);
  const signup = await fetch(`${server.url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `runtime-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: 'Runtime',
    }),
  }).then((response) => response.json() as Promise<{ accessToken: string }>);
  token = signup.accessToken;
  const triage = await ok('POST', '/agents', {
    name: 'Triage',
    instructions: 'Greet {{candidate_name}} for the {{role}} role.',
    variables: [
      { name: 'candidate_name', type: 'string', required: true },
      { name: 'role', type: 'enum', enumValues: ['backend', 'frontend'], default: 'backend' },
    ],
  });
  const coder = await ok('POST', '/agents', {
    name: 'Coder',
    instructions: 'Pair at level {{level}}.',
    modality: 'audio_screenshare',
    panels: ['coding_ide'],
    variables: [{ name: 'level', type: 'number', default: 3 }],
  });
  const notes = await ok('POST', '/agents', {
    name: 'Notes',
    instructions: 'Keep notes.',
    panels: ['notepad'],
  });
  const template = await ok('POST', '/session-templates', {
    name: 'Interview',
    agentIds: [triage.id, coder.id, notes.id],
    modalityProfile: 'audio_camera_screenshare',
    enabledPanels: ['coding_ide', 'notepad'],
    maxDurationSeconds: 3600,
    idleTimeoutSeconds: 300,
  });
  templateId = template.id;
  undeployedId = (await ok('POST', '/session-templates', { name: 'Later', agentIds: [notes.id] })).id;
  // Production pins what it serves, then runs version 2 as a canary for 30% of sessions.
  await ok('PUT', '/environments/production', { followsLatest: false });
  await ok('DELETE', `/environments/production/deployments/${undeployedId}`);
  await ok('PUT', `/session-templates/${templateId}`, { description: 'Version 2' });
  await ok('PUT', `/environments/production/deployments/${templateId}`, { canaryPercent: 30 });
  apiKey = (await ok('POST', '/api-keys', { name: 'Runtime', scope: 'read' })).secret;
});

afterAll(async () => {
  await Promise.all(runtimes.map((made) => made.close()));
  await server?.close();
  await database?.close();
});

/** What the server answers `POST …/config` for an input: the config, or the error's status, code and details. */
async function serverAnswer(id: string, input: Record<string, unknown>) {
  const answer = await api(
    'POST',
    `/session-templates/${id}/config`,
    { environment: 'production', ...input },
    apiKey,
  );
  if (answer.status === 200) {
    const { etag: _, ...config } = answer.body;
    return { config };
  }
  return {
    error: { status: answer.status, code: answer.body.error.code, details: answer.body.error.details },
  };
}

async function runtimeAnswer(made: Runtime, id: string, input: Record<string, unknown>) {
  try {
    const { etag: _, stale: __, staleSince: ___, ...config } = await made.sessionConfig(id, input);
    return { config };
  } catch (error) {
    if (!(error instanceof SwitchboardError)) throw error;
    return { error: { status: error.status, code: error.code, details: error.details } };
  }
}

describe(`@switchboard/runtime (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('answers what the server answers for 1,000 session keys across a canary, with variables and overrides, errors included', async () => {
    const made = runtime();
    const arms = { stable: 0, canary: 0 };
    for (let i = 0; i < 1000; i++) {
      const input: Record<string, unknown> = { sessionKey: `call-${i}` };
      if (i % 2 === 0)
        input.variables = { candidate_name: `Ada ${i}`, ...(i % 4 === 0 ? { level: i % 7 } : {}) };
      if (i % 3 === 0) input.overrides = { idleTimeoutSeconds: 60 + (i % 200), enabledPanels: ['notepad'] };
      const [theirs, ours] = await Promise.all([
        serverAnswer(templateId, input),
        runtimeAnswer(made, templateId, input),
      ]);
      expect(ours, `call-${i}`).toEqual(theirs);
      arms[theirs.config!.release.arm as 'stable' | 'canary']++;
    }
    // Both arms were exercised, near the 30% share.
    expect(arms.canary).toBeGreaterThan(200);
    expect(arms.stable).toBeGreaterThan(600);

    const refused: Record<string, unknown>[] = [
      { variables: {} },
      { variables: { candidate_name: 42 } },
      { variables: { candidate_name: 'Ada', role: 'design' } },
      { variables: { candidate_name: 'Ada', shoe_size: 44 } },
      { overrides: { idleTimeoutSeconds: 301 } },
      { overrides: { initialAgentId: '00000000-0000-4000-8000-000000000000' } },
      { overrides: { modalityProfile: 'audio_only' } },
      { overrides: { maxDurationSeconds: 7200 }, variables: {} },
      { sessionKey: 'call-7', variables: { level: 'high' } },
    ];
    for (const input of refused) {
      const theirs = await serverAnswer(templateId, input);
      expect(theirs.error, JSON.stringify(input)).toBeDefined();
      expect(await runtimeAnswer(made, templateId, input), JSON.stringify(input)).toEqual(theirs);
    }
    // A template this environment does not serve, and one that does not exist.
    for (const id of [undeployedId, '00000000-0000-4000-8000-000000000000']) {
      const theirs = await serverAnswer(id, {});
      expect(theirs.error?.status).toBe(404);
      expect(await runtimeAnswer(made, id, {})).toEqual(theirs);
    }
  });

  it('answers from memory at once, and sees a change within a second of its commit', async () => {
    const made = runtime();
    await made.sessionConfig(templateId);
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) {
      await made.sessionConfig(templateId, { sessionKey: `k${i}`, variables: { candidate_name: 'Ada' } });
    }
    // No round trip: 10,000 answers take well under what 10,000 requests would.
    expect(performance.now() - started).toBeLessThan(2000);
    // A change: the canary is promoted; the runtime follows through the change events.
    await ok('POST', `/environments/production/deployments/${templateId}/promote-canary`);
    const committed = Date.now();
    const seen = await until(
      () => made.sessionConfig(templateId, { sessionKey: 'call-1' }),
      (config) => config.release.arm === 'stable' && config.templateVersion === 2,
    );
    expect(Date.now() - committed).toBeLessThan(1000);
    expect(seen.value.stale).toBe(false);
  });

  it('through an outage: stale answers from memory, then from the snapshot in a new process; fresh within a second of the server coming back; outcomes arrive once', async () => {
    const snapshotFile = path.join(mkdtempSync(path.join(tmpdir(), 'switchboard-runtime-')), 'snapshot.json');
    const first = runtime({ snapshotFile, timeoutMs: 500 });
    const before = await first.sessionConfig(templateId, { variables: { candidate_name: 'Ada' } });
    expect(before.stale).toBe(false);
    // The snapshot is written shortly after a change.
    await until(
      () => (existsSync(snapshotFile) ? readFileSync(snapshotFile, 'utf8') : ''),
      (text) => text.includes(templateId),
    );
    const release = before.release;
    first.reportOutcome({
      templateId,
      release,
      sessionKey: 'before',
      status: 'completed',
      firstResponseMs: 500,
    });

    await server.close(); // Switchboard is down.
    const during = await until(
      () => first.sessionConfig(templateId, { variables: { candidate_name: 'Ada' } }),
      (config) => config.stale,
    );
    expect(during.value.agents[0]!.renderedInstructions).toBe('Greet Ada for the backend role.');
    expect(during.value.staleSince).not.toBeNull();
    for (let i = 0; i < 5; i++) {
      first.reportOutcome({
        templateId,
        release,
        sessionKey: `during-${i}`,
        status: i ? 'completed' : 'failed',
      });
    }

    // A new process with the snapshot, Switchboard still down: stale answers; nothing held is a
    // typed error within timeoutMs.
    const second = runtime({ snapshotFile, timeoutMs: 300 });
    const fromSnapshot = await second.sessionConfig(templateId, {
      sessionKey: 'x',
      variables: { candidate_name: 'Bo' },
    });
    expect(fromSnapshot).toMatchObject({ stale: true, templateId });
    expect(fromSnapshot.agents[0]!.renderedInstructions).toBe('Greet Bo for the backend role.');
    const asked = performance.now();
    await expect(second.sessionConfig('11111111-1111-4111-8111-111111111111')).rejects.toBeInstanceOf(
      SwitchboardUnavailableError,
    );
    expect(performance.now() - asked).toBeLessThan(300 + 250);

    // Switchboard comes back on the same address.
    server = await startTestApp({ database, config: { port, outcomeFlushMs: 100 } });
    const back = Date.now();
    for (const made of [first, second]) {
      await until(
        () => made.sessionConfig(templateId),
        (config) => !config.stale,
        1000 - (Date.now() - back) + 200,
      );
    }
    expect(Date.now() - back).toBeLessThan(1200);
    // The outcomes reported before and during the outage arrive, each once.
    const metrics = await until(
      () => ok('GET', `/environments/production/deployments/${templateId}/metrics`),
      (answer) => (answer.arms.stable?.sessions ?? 0) >= 6,
      8000,
    );
    await sleep(2500);
    const settled = await ok('GET', `/environments/production/deployments/${templateId}/metrics`);
    expect(settled.arms.stable).toMatchObject({ sessions: 6, failed: 1 });
    expect(metrics.value.arms.stable.sessions).toBe(6);
    expect(first.status().outcomes).toMatchObject({ queued: 0, sent: 6, dropped: 0 });
  });

  it('holds at most 1,000 refusals: asking for ids that do not exist does not grow its memory', async () => {
    const made = runtime();
    await made.sessionConfig(templateId);
    for (let i = 0; i < 1010; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      await expect(made.sessionConfig(id)).rejects.toBeInstanceOf(SwitchboardError);
    }
    expect(made.status().templates).toBe(1 + 1000);
    // The template it serves is still held and answered from memory.
    expect((await made.sessionConfig(templateId)).templateId).toBe(templateId);
  });

  it('buffers at most 100,000 outcomes while Switchboard is down, dropping (and counting) the oldest', async () => {
    const made = createRuntime({
      url: 'http://127.0.0.1:9',
      apiKey,
      environment: 'production',
      timeoutMs: 100,
    });
    const release = { templateVersion: 1, agentVersions: {}, arm: 'stable' as const };
    for (let i = 0; i < 100_005; i++) made.reportOutcome({ templateId, release, status: 'completed' });
    expect(made.status().outcomes).toMatchObject({ dropped: 5 });
    expect(made.status().outcomes.queued).toBeLessThanOrEqual(100_000);
    await made.close();
  });
});
