// A project outside the monorepo: it installs only the packed @switchboard/client and
// @trpc/client, and is typechecked under `strict` before it runs against a live server.
import {
  createClient,
  type MODALITY_PROFILES,
  type RouterOutputs,
  type SessionTemplate,
  TRPCClientError,
} from '@switchboard/client';

const url = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:3000';

async function main(): Promise<void> {
  const { accessToken } = await createClient({ url }).auth.signup.mutate({
    email: `consumer-${Date.now()}@example.com`,
    password: 'password123',
    organizationName: 'Consumer',
  });
  const api = createClient({ url, token: accessToken });
  const agent = await api.agents.create.mutate({
    name: 'Coder',
    instructions: 'Pair',
    modality: 'audio_screenshare',
    panels: ['coding_ide'],
  });
  const template: SessionTemplate = await api.sessionTemplates.create.mutate({
    name: 'Interview',
    agentIds: [agent.id],
    modalityProfile: 'audio_screenshare',
    enabledPanels: ['coding_ide'],
    maxDurationSeconds: 3600,
  });
  const page: RouterOutputs['sessionTemplates']['list'] = await api.sessionTemplates.list.query({
    limit: 10,
  });
  const updated = await api.sessionTemplates.update.mutate({
    id: template.id,
    name: 'Renamed',
    version: template.version,
  });
  const copy = await api.sessionTemplates.clone.mutate({ id: template.id });
  await api.sessionTemplates.delete.mutate({ id: copy.id });
  const gone = await api.sessionTemplates.get.query({ id: copy.id }).catch((error: unknown) => error);
  const status = gone instanceof TRPCClientError ? (gone.data as { httpStatus?: number }).httpStatus : 0;
  const profile: (typeof MODALITY_PROFILES)[number] = updated.modalityProfile;

  // Type errors a consumer must get (checked by tsc; never executed).
  const neverCalled = () => {
    // @ts-expect-error idleTimeoutSeconds is a number
    void api.sessionTemplates.create.mutate({ name: 'x', agentIds: [], idleTimeoutSeconds: '300' });
    // @ts-expect-error no such procedure
    void api.sessionTemplates.archive.mutate({ id: template.id });
    // @ts-expect-error enabledPanels takes PanelType values only
    void api.sessionTemplates.update.mutate({ id: template.id, enabledPanels: ['chat'] });
  };
  void neverCalled;

  // Change events, with no other setup: a rename made after the subscription opened arrives.
  const streamed = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change event within 5 s')), 5_000);
    const subscription = api.events.onChange.subscribe(
      {},
      {
        onStarted: () => {
          void api.sessionTemplates.update.mutate({ id: template.id, name: 'Streamed rename' });
        },
        onData: (event) => {
          if (event.data.action !== 'sessionTemplate.updated') return;
          clearTimeout(timer);
          subscription.unsubscribe();
          resolve(event.data.resource.name);
        },
        onError: reject,
      },
    );
  });

  console.log(
    JSON.stringify({
      listed: page.items.map((item) => item.id),
      created: template.id,
      updatedName: updated.name,
      updatedVersion: updated.version,
      copyName: copy.name,
      deletedStatus: status,
      profile,
      streamed,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
