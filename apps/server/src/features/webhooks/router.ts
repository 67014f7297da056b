import {
  CreatedWebhook,
  CreateWebhookInput,
  DeliveryInput,
  DeliveryListInput,
  DeliveryPage,
  DeliveryQueued,
  IdInput,
  RecoveredCount,
  RecoverInput,
  UpdateWebhookInput,
  Webhook,
  WebhookList,
  WebhookSecret,
} from '@switchboard/contract';
import { adminProcedure, router } from '../../http/trpc';

const tag = 'webhooks';

/** Webhook endpoints of the organization, managed by its admins (users only: no key). */
export const webhooksRouter = router({
  create: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/webhooks',
        status: 201,
        tag,
        summary: 'Create a webhook endpoint (its signing secret is in this answer only)',
        output: CreatedWebhook,
        answersSecret: true,
      },
    })
    .input(CreateWebhookInput)
    .mutation(({ ctx, input }) => ctx.webhooks.create(ctx.by, input)),

  list: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/webhooks',
        tag,
        summary: "The organization's webhook endpoints",
        output: WebhookList,
      },
    })
    .query(({ ctx }) => ctx.webhooks.list(ctx.actor.organizationId)),

  update: adminProcedure
    .meta({
      rest: {
        method: 'PUT',
        path: '/webhooks/{id}',
        tag,
        summary: 'Change a webhook endpoint; enabling it again clears why it was disabled',
        output: Webhook,
      },
    })
    .input(UpdateWebhookInput)
    .mutation(({ ctx, input }) => ctx.webhooks.update(ctx.by, input)),

  delete: adminProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path: '/webhooks/{id}',
        status: 204,
        tag,
        summary: 'Delete a webhook endpoint',
      },
    })
    .input(IdInput)
    .mutation(({ ctx, input }) => ctx.webhooks.delete(ctx.by, input.id)),

  rotateSecret: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/webhooks/{id}/rotate-secret',
        tag,
        summary: 'A new signing secret (shown once); the old one also signs for 24 hours',
        output: WebhookSecret,
        answersSecret: true,
      },
    })
    .input(IdInput)
    .mutation(({ ctx, input }) => ctx.webhooks.rotateSecret(ctx.by, input.id)),

  test: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/webhooks/{id}/test',
        status: 202,
        tag,
        summary: 'Send a webhook.test event to the endpoint',
        output: DeliveryQueued,
      },
    })
    .input(IdInput)
    .mutation(async ({ ctx, input }) => {
      const queued = await ctx.webhooks.test(ctx.actor.organizationId, input.id);
      void ctx.deliverer.kick();
      return queued;
    }),

  deliveries: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/webhooks/{id}/deliveries',
        tag,
        summary: "The endpoint's deliveries with every attempt, newest first",
        output: DeliveryPage,
      },
    })
    .input(DeliveryListInput)
    .query(({ ctx, input }) => ctx.webhooks.deliveries(ctx.actor.organizationId, input)),

  retry: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/webhooks/{id}/deliveries/{deliveryId}/retry',
        status: 202,
        tag,
        summary: 'Send a delivery again, now',
        conflict: 'the delivery is being attempted now (`details.reason: "inFlight"`)',
      },
    })
    .input(DeliveryInput)
    .mutation(async ({ ctx, input }) => {
      await ctx.webhooks.retry(ctx.actor.organizationId, input.id, input.deliveryId);
      void ctx.deliverer.kick();
    }),

  recover: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/webhooks/{id}/recover',
        status: 202,
        tag,
        summary: 'Send every failed delivery since a time again',
        output: RecoveredCount,
      },
    })
    .input(RecoverInput)
    .mutation(async ({ ctx, input }) => {
      const recovered = await ctx.webhooks.recover(ctx.actor.organizationId, input.id, input.since);
      void ctx.deliverer.kick();
      return recovered;
    }),
});
