import type { AuditEvent } from '@switchboard/contract';
import { auditEvents, type Db } from '@switchboard/db';
import { and, asc, eq, gt, inArray, max } from 'drizzle-orm';
import type { Actor } from '../../core/actor';
import { toAuditEvent } from '../history/history';
import type { ChangeEvents } from './events';

/** What members and keys see; admins see every event. */
const MEMBER_RESOURCES = ['agent', 'sessionTemplate', 'deployment'] as const;
/**
 * Events read at once while catching up: what a stream holds in memory at most, so small enough
 * that many slow readers hold little (100 events of about 1 KB each).
 */
const PAGE = 100;
/** How often a waiting stream checks that its caller may still read it (an expired token, a revoked key end it). */
export const RECHECK_MS = 1_000;

/**
 * Where a stream that resumes from nothing starts: after every event committed before this call
 * (numbered first). Read before the stream answers, so a change made after the answer is seen.
 */
export async function latestSequence(
  deps: { db: Db; events: ChangeEvents },
  organizationId: string,
): Promise<number> {
  await deps.events.catchUp();
  const [row] = await deps.db
    .select({ last: max(auditEvents.sequence) })
    .from(auditEvents)
    .where(eq(auditEvents.organizationId, organizationId));
  return row?.last ?? 0;
}

/** What a caller may see of its organization's events: every event (an admin), or members' kinds. */
function visibleTo(actor: Actor) {
  const ofOrganization = eq(auditEvents.organizationId, actor.organizationId);
  const admin = actor.kind === 'user' && actor.role === 'admin';
  return admin ? ofOrganization : and(ofOrganization, inArray(auditEvents.resourceType, MEMBER_RESOURCES));
}

/**
 * The organization's change events for one reader (docs/api.md "Change events"), as they are numbered,
 * after the sequence `after` (`latestSequence` for "from now"); members and keys see agent,
 * template and deployment events, admins every event. It reads one page at a time, only when its
 * reader asks for the next event (so a slow reader holds one page, never the backlog), asking
 * `caller` before every page who the reader is now: a demoted admin sees members' events from the
 * next page on, and a caller no longer allowed (an expired token, a revoked key, a deactivated
 * user: null) ends it. It waits for the sequencer of any instance to number more, asking `caller`
 * at least every second meanwhile, and ends when `signal` aborts. Both the SSE route and the tRPC
 * subscription read it.
 */
export async function* changeEvents(
  deps: { db: Db; events: ChangeEvents },
  organizationId: string,
  after: number,
  signal: AbortSignal,
  caller: () => Promise<Actor | null>,
): AsyncGenerator<AuditEvent> {
  let last = after;
  let more = true;
  let wake = () => {};
  const unsubscribe = deps.events.onSequenced(organizationId, () => {
    more = true;
    wake();
  });
  // The reader going away, or the server closing, ends it.
  const ended = AbortSignal.any([signal, deps.events.closing]);
  const onAbort = () => wake();
  ended.addEventListener('abort', onAbort);
  let checked = Date.now();
  const current = async () => {
    checked = Date.now();
    const actor = await caller();
    return actor && actor.organizationId === organizationId ? actor : null;
  };
  try {
    while (!ended.aborted) {
      if (more) {
        more = false;
        for (;;) {
          const actor = await current();
          if (!actor) return;
          const rows = await deps.db
            .select()
            .from(auditEvents)
            .where(and(visibleTo(actor), gt(auditEvents.sequence, last)))
            .orderBy(asc(auditEvents.sequence))
            .limit(PAGE);
          for (const row of rows) {
            last = row.sequence!;
            yield toAuditEvent(row);
          }
          if (rows.length < PAGE || ended.aborted) break;
        }
      }
      if (!more && !ended.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(0, checked + RECHECK_MS - Date.now()));
        });
      }
      if (Date.now() - checked >= RECHECK_MS && !(await current())) return;
    }
  } finally {
    unsubscribe();
    ended.removeEventListener('abort', onAbort);
  }
}
