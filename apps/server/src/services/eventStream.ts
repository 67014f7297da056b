import type { AuditEvent } from '@switchboard/contract';
import { auditEvents, type Db } from '@switchboard/db';
import { and, asc, eq, gt, inArray, max } from 'drizzle-orm';
import type { Actor } from '../context';
import type { ChangeEvents } from './events';
import { toAuditEvent } from './history';

/** What members and keys see; admins see every event. */
const MEMBER_RESOURCES = ['agent', 'sessionTemplate', 'deployment'] as const;
/** Events read at once while catching up. */
const PAGE = 500;
/** How often a stream checks that its caller may still read it (an expired token, a revoked key end it). */
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

/**
 * The organization's change events for one reader (API.md "Change events"), as they are numbered,
 * after the sequence `after` (`latestSequence` for "from now"); members and keys see agent, template and deployment
 * events, admins every event. It waits for the sequencer of any instance to number more, and ends
 * when `signal` aborts or `stillAllowed` answers false. Both the SSE route and the tRPC
 * subscription read it.
 */
export async function* changeEvents(
  deps: { db: Db; events: ChangeEvents },
  actor: Actor,
  after: number,
  signal: AbortSignal,
  stillAllowed: () => Promise<boolean>,
): AsyncGenerator<AuditEvent> {
  const ofOrganization = eq(auditEvents.organizationId, actor.organizationId);
  const admin = actor.kind === 'user' && actor.role === 'admin';
  const visible = admin
    ? ofOrganization
    : and(ofOrganization, inArray(auditEvents.resourceType, MEMBER_RESOURCES));
  let last = after;
  if (last === null) {
    // From now: after every event committed before this call (numbered first).
    await deps.events.catchUp();
    const [row] = await deps.db
      .select({ last: max(auditEvents.sequence) })
      .from(auditEvents)
      .where(ofOrganization);
    last = row?.last ?? 0;
  }
  let more = true;
  let wake = () => {};
  const unsubscribe = deps.events.onSequenced(actor.organizationId, () => {
    more = true;
    wake();
  });
  // The reader going away, or the server closing, ends it.
  const ended = AbortSignal.any([signal, deps.events.closing]);
  const onAbort = () => wake();
  ended.addEventListener('abort', onAbort);
  let checked = Date.now();
  try {
    while (!ended.aborted) {
      if (more) {
        more = false;
        for (;;) {
          const rows = await deps.db
            .select()
            .from(auditEvents)
            .where(and(visible, gt(auditEvents.sequence, last)))
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
      if (Date.now() - checked >= RECHECK_MS) {
        checked = Date.now();
        if (!(await stillAllowed())) return;
      }
    }
  } finally {
    unsubscribe();
    ended.removeEventListener('abort', onAbort);
  }
}
