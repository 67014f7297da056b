import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createClient,
  PANEL_TYPES,
  type RouterInputs,
  type RouterOutputs,
  type SessionTemplate,
  TRPCClientError,
} from '../src';
import { startApp } from './app';

let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ url, close } = await startApp());
});
afterAll(() => close?.());

describe(`@switchboard/client (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('takes an API key wherever it takes a token: the runtime reads a session config, history is kept', async () => {
    const { accessToken } = await createClient({ url }).auth.signup.mutate({
      email: `runtime-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: 'Runtime Org',
    });
    const admin = createClient({ url, token: accessToken });
    const agent = await admin.agents.create.mutate({ name: 'Greeter', instructions: 'Hi' });
    const template = await admin.sessionTemplates.create.mutate({ name: 'Call', agentIds: [agent.id] });
    const { secret } = await admin.apiKeys.create.mutate({ name: 'Runtime', scope: 'read' });

    const runtime = createClient({ url, token: secret });
    const config = await runtime.sessionTemplates.config.query({ id: template.id });
    expectTypeOf(config.etag).toEqualTypeOf<string>();
    expect(config.agents.map((item) => item.name)).toEqual(['Greeter']);
    expect(config.initialAgentId).toBe(agent.id);
    const narrowed = await runtime.sessionTemplates.config.query({
      id: template.id,
      overrides: { idleTimeoutSeconds: 60 },
    });
    expect(narrowed.overridden).toEqual(['idleTimeoutSeconds']);
    await expect(runtime.sessionTemplates.delete.mutate({ id: template.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });

    const renamed = await admin.sessionTemplates.update.mutate({ id: template.id, name: 'Call v2' });
    const { items } = await runtime.sessionTemplates.revisions.query({ id: template.id, limit: 5 });
    expect(items.map((revision) => revision.action)).toEqual(['updated', 'created']);
    const restored = await admin.sessionTemplates.restore.mutate({
      id: template.id,
      toVersion: 1,
      version: renamed.version,
    });
    expect(restored).toMatchObject({ name: 'Call', version: 3 });
  });

  it('drives the API with full types: signup, agents, templates, clone', async () => {
    const anonymous = createClient({ url });
    const { accessToken, organization } = await anonymous.auth.signup.mutate({
      email: `client-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: 'Client Org',
    });
    let token: string | undefined = accessToken;
    const api = createClient({ url: `${url}/`, getToken: () => token });

    const agent = await api.agents.create.mutate({
      name: 'Coding Expert',
      instructions: 'Pair on code',
      modality: 'audio_screenshare',
      panels: ['coding_ide'],
    });
    const template = await api.sessionTemplates.create.mutate({
      name: 'Interview',
      agentIds: [agent.id],
      modalityProfile: 'audio_screenshare',
      enabledPanels: ['coding_ide'],
    });
    expectTypeOf(template).toEqualTypeOf<SessionTemplate>();
    expect(template.organizationId).toBe(organization.id);

    const page = await api.sessionTemplates.list.query({ limit: 50 });
    expect(page.items.map((item) => item.id)).toEqual([template.id]);
    const copy = await api.sessionTemplates.clone.mutate({ id: template.id });
    expect(copy.name).toBe('Interview (Copy)');
    expect(PANEL_TYPES).toContain(copy.enabledPanels[0]);

    token = undefined;
    const error = await api.auth.me.query().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
  });

  it('asks a headers function before every request: a request id of its own is kept on the audit event', async () => {
    let sent = 0;
    const api = createClient({ url, headers: () => ({ 'x-request-id': `tab-7.${++sent}` }) });
    const { accessToken } = await api.auth.signup.mutate({
      email: `headers-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: 'Headers Org',
    });
    const admin = createClient({
      url,
      token: accessToken,
      headers: () => ({ 'x-request-id': `tab-7.${++sent}` }),
    });
    await admin.agents.create.mutate({ name: 'Greeter', instructions: 'Hi' });
    const { items } = await admin.audit.list.query({ action: 'agent.created' });
    expect(items[0]?.requestId).toBe('tab-7.2');
    expect(sent).toBe(3);
  });

  it('subscribes to change events with no other setup, and resumes after the last one it got', async () => {
    const { accessToken } = await createClient({ url }).auth.signup.mutate({
      email: `subscriber-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: 'Subscriber Org',
    });
    const api = createClient({ url, token: accessToken });
    const agent = await api.agents.create.mutate({ name: 'Before', instructions: 'Hi' });
    const seen: { id: string; action: string; name: string }[] = [];
    let resolveStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      resolveStarted = resolve;
    });
    const subscription = api.events.onChange.subscribe(
      {},
      {
        onStarted: () => resolveStarted(),
        onData: (event) =>
          seen.push({ id: event.id, action: event.data.action, name: event.data.resource.name }),
      },
    );
    await started;
    await api.agents.update.mutate({ id: agent.id, name: 'Renamed after it opened' });
    const deadline = Date.now() + 5_000;
    while (!seen.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    subscription.unsubscribe();
    expect(seen).toEqual([
      expect.objectContaining({ action: 'agent.updated', name: 'Renamed after it opened' }),
    ]);
    // Resuming after that event: only what came later.
    await api.agents.update.mutate({ id: agent.id, name: 'Later still' });
    const later: string[] = [];
    const resumed = api.events.onChange.subscribe(
      { lastEventId: seen[0]!.id },
      { onData: (event) => later.push(event.data.resource.name) },
    );
    const until = Date.now() + 5_000;
    while (!later.length && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    resumed.unsubscribe();
    expect(later).toEqual(['Later still']);
  });

  it('gives type errors for wrong input and unknown procedures', () => {
    const api = createClient({ url, token: 'x' });
    expectTypeOf<RouterInputs['sessionTemplates']['create']['agentIds']>().toEqualTypeOf<string[]>();
    expectTypeOf<RouterOutputs['agents']['get']['modality']>().toEqualTypeOf<
      'audio_only' | 'audio_camera' | 'audio_screenshare'
    >();
    // Type-level only: never called.
    const typeChecks = () => {
      // @ts-expect-error idleTimeoutSeconds is a number, not a string
      void api.sessionTemplates.create.mutate({ name: 'x', agentIds: [], idleTimeoutSeconds: '300' });
      // @ts-expect-error modalityProfile must be one of the contract's values
      void api.sessionTemplates.update.mutate({ id: 'x', modalityProfile: 'video' });
      // @ts-expect-error there is no such procedure
      void api.sessionTemplates.archive.mutate({ id: 'x' });
      // @ts-expect-error list is a query, not a mutation
      void api.agents.list.mutate({});
    };
    expect(typeof typeChecks).toBe('function');
  });
});
