import type { FastifyRequest } from 'fastify';
import type { Context } from '../context';
import { authenticate, mayCall } from '../trpc';
import type { RestOperation } from './routes';

/** `If-None-Match`: `*`, or a list of tags, weak (`W/"…"`) or strong, one of which is `etag` (quoted). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/**
 * For a GET with `If-None-Match` on a route that revalidates: the current tag (quoted) when it
 * matches, so the answer is a 304 without calling the procedure; else null and the procedure
 * answers as usual. The caller must be one the procedure would serve (`mayCall`, after the same
 * authentication); anything it would refuse goes to the procedure, which refuses it.
 */
export async function unchangedTag(
  operation: RestOperation,
  context: Context,
  req: FastifyRequest,
): Promise<string | null> {
  const header = req.headers['if-none-match'];
  if (!operation.revalidate || operation.method !== 'GET' || !header) return null;
  const actor = await authenticate(context);
  if (!mayCall(operation, actor)) return null;
  const input = operation.input?.safeParse({ ...(req.query as object), ...(req.params as object) });
  if (!input?.success) return null;
  const etag = await operation.revalidate(context.db, actor, input.data as { id: string });
  return etag !== null && matchesEtag(header, `"${etag}"`) ? `"${etag}"` : null;
}
