import { ApiKeyList, CreateApiKeyInput, CreatedApiKey, IdInput } from '@switchboard/contract';
import { adminProcedure, router } from '../../http/trpc';
import * as keys from './apiKeys';

const tag = 'api-keys';

/** An organization's API keys, managed by its admins (users only: no key manages keys). */
export const apiKeysRouter = router({
  create: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api-keys',
        status: 201,
        tag,
        summary: 'Create an API key (its secret is in this answer only)',
        output: CreatedApiKey,
        answersSecret: true,
        // A key bound to an environment that does not exist.
        statuses: [404],
      },
    })
    .input(CreateApiKeyInput)
    .mutation(({ ctx, input }) => keys.createApiKey(ctx.db, ctx.by, input)),

  list: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api-keys',
        tag,
        summary: "The organization's API keys, revoked and expired ones included",
        output: ApiKeyList,
      },
    })
    .query(({ ctx }) => keys.listApiKeys(ctx.db, ctx.actor.organizationId)),

  revoke: adminProcedure
    .meta({
      rest: { method: 'DELETE', path: '/api-keys/{id}', status: 204, tag, summary: 'Revoke an API key' },
    })
    .input(IdInput)
    .mutation(async ({ ctx, input }) => {
      ctx.apiKeys.forget(await keys.revokeApiKey(ctx.db, ctx.by, input.id));
    }),
});
