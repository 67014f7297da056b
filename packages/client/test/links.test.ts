import type { AppRouter } from '@switchboard/server';
import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpLink,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from './app';

let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ url, close } = await startApp());
});
afterAll(() => close?.());

/** Each of @trpc/client's HTTP links, as a third-party client would configure it. */
const links: Record<
  string,
  (options: { url: string; headers: () => Record<string, string> }) => TRPCLink<AppRouter>
> = {
  httpLink: (options) => httpLink(options),
  httpBatchLink: (options) => httpBatchLink(options),
  httpBatchStreamLink: (options) => httpBatchStreamLink(options),
};

describe.each(Object.keys(links))('the server through @trpc/client %s', (name) => {
  const connect = (token?: string) =>
    createTRPCClient<AppRouter>({
      links: [
        links[name]!({
          url: `${url}/trpc`,
          headers: (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {}),
        }),
      ],
    });

  it('runs mutations and queries, one at a time and several at once, with per-call errors', async () => {
    const { accessToken } = await connect().auth.signup.mutate({
      email: `${name.toLowerCase()}-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: `${name} Org`,
    });
    const api = connect(accessToken);
    const agent = await api.agents.create.mutate({ name: 'Triage', instructions: 'Greets' });
    const template = await api.sessionTemplates.create.mutate({ name: 'Intake', agentIds: [agent.id] });
    expect(await api.sessionTemplates.get.query({ id: template.id })).toEqual(template);

    const missing = '00000000-0000-4000-8000-000000000000';
    const [got, page, notFound, me] = await Promise.allSettled([
      api.sessionTemplates.get.query({ id: template.id }),
      api.sessionTemplates.list.query({ limit: 10 }),
      api.sessionTemplates.get.query({ id: missing }),
      api.auth.me.query(),
    ]);
    expect(got).toEqual({ status: 'fulfilled', value: template });
    expect(page).toMatchObject({ status: 'fulfilled', value: { items: [template], nextCursor: null } });
    expect(me).toMatchObject({ status: 'fulfilled', value: { user: { role: 'admin' } } });
    expect(notFound.status).toBe('rejected');
    const error = (notFound as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });

    const invalid = await api.sessionTemplates.create
      .mutate({ name: 'Bad', agentIds: [missing] })
      .catch((caught: unknown) => caught);
    expect(invalid).toBeInstanceOf(TRPCClientError);
    expect((invalid as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      details: { invalidAgentIds: [missing] },
    });

    const anonymous = await connect()
      .auth.me.query()
      .catch((caught: unknown) => caught);
    expect((anonymous as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
