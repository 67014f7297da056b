import { tracked } from '@trpc/server';
import { z } from 'zod';
import { authenticate, authenticatedProcedure, router } from '../../http/trpc';
import { changeEvents, latestSequence } from './eventStream';

/**
 * `events.onChange` (docs/api.md "Change events"): the organization's change events as a tRPC
 * subscription over SSE (`httpSubscriptionLink`), each `tracked` by its sequence, so a client that
 * reconnects resumes after the last one it received (`lastEventId`). Its REST twin is the plain
 * SSE route `GET /api/v1/events`.
 */
export const eventsRouter = router({
  onChange: authenticatedProcedure
    .meta({ keys: 'read', boundKeys: true })
    .input(
      z
        .strictObject({
          /** Resume after this sequence (the link sends the last one it received). */
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/, 'The sequence of an event')
            .nullish(),
        })
        .optional(),
    )
    // The position and the admission are settled before the stream answers (tRPC sends its
    // `connected` event, the client's "started", only once this resolves): a change the client
    // makes after it started is numbered after the position, so it is delivered.
    .subscription(async ({ ctx, input, signal }) => {
      const { organizationId } = ctx.actor;
      const after = input?.lastEventId
        ? Number(input.lastEventId)
        : await latestSequence(ctx, organizationId);
      const admitted = await ctx.events.admitStream(organizationId);
      // Released once: when the stream ends, or when the client leaves before it began.
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          admitted();
        }
      };
      signal?.addEventListener('abort', release, { once: true });
      // Who the reader is now (its role may change while the stream is open), or null.
      const caller = () => authenticate(ctx).catch(() => null);
      return (async function* () {
        try {
          for await (const event of changeEvents(
            ctx,
            organizationId,
            after,
            signal ?? new AbortController().signal,
            caller,
          )) {
            yield tracked(String(event.sequence), event);
          }
        } finally {
          release();
        }
      })();
    }),
});
