import { TRPCError } from '@trpc/server';

/**
 * HTTP revalidation (`If-None-Match` → 304) for REST routes with `etag` meta. A procedure that can
 * tell cheaply that the client's copy is current throws `NotModified`; the REST adapter answers 304
 * with the tag and no body. tRPC never sees it (its context carries no `If-None-Match`).
 */
export class NotModified extends TRPCError {
  constructor(readonly etag: string) {
    // A signal, not a fault: no stack is captured (V8 walks every async frame for one), and as a
    // TRPCError it leaves tRPC's caller as it is, unwrapped.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super({ code: 'PRECONDITION_FAILED', message: 'Not modified' });
    Error.stackTraceLimit = limit;
  }
}

/** `If-None-Match`: `*`, or a list of tags, weak (`W/"…"`) or strong, one of which is `etag` (quoted). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}
