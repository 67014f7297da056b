import type { AuditEvent } from '@switchboard/contract';
import { auditEvents } from '@switchboard/db';
import { and, asc, eq, gt, inArray, max } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { type Actor, createContext, type Deps } from '../context';
import { AppError } from '../errors';
import { toAuditEvent } from '../services/history';
import type { Lifecycle } from '../shutdown';
import { authenticate } from '../trpc';

/** At most this many open streams per organization on one instance (429 beyond). */
export const STREAMS_PER_ORGANIZATION = 100;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** How often a stream checks that its token or key is still good (an expired or revoked one ends it). */
const RECHECK_MS = 1_000;
/** Events read at once while catching up. */
const PAGE = 500;
/** What members and keys see; admins see every event. */
const MEMBER_RESOURCES = ['agent', 'sessionTemplate', 'deployment'] as const;

/** `Last-Event-ID` or `?after=`: a sequence (a non-negative integer), or none. */
function resumeAfter(header: unknown, query: unknown): number | null {
  const given = typeof header === 'string' && header !== '' ? header : query;
  if (given === undefined || given === '') return null;
  if (typeof given !== 'string' || !/^\d{1,15}$/.test(given)) {
    throw new AppError('BAD_REQUEST', 'Last-Event-ID and after take the sequence of an event', {
      issues: [{ path: ['after'], message: 'Expected a non-negative integer' }],
    });
  }
  return Number(given);
}

const isAdmin = (actor: Actor) => actor.kind === 'user' && actor.role === 'admin';

/**
 * `GET /api/v1/events` (API.md "Change events"): the organization's change events as
 * server-sent events, `id:` the sequence, `event:` the action, `data:` the `AuditEvent`. It
 * resumes after `Last-Event-ID` (or `?after=`), else starts from now; it wakes when the sequencer
 * of any instance numbers events of the organization, and ends when its token expires, its key is
 * revoked, or the server shuts down.
 */
export function registerEventStream(app: FastifyInstance, deps: Deps, lifecycle: Lifecycle): void {
  const open = new Map<string, Set<() => void>>();
  app.addHook('preClose', async () => {
    for (const streams of open.values()) for (const end of [...streams]) end();
  });

  app.get('/api/v1/events', async (req, reply) => {
    const context = createContext(deps, req);
    const actor = await authenticate(context);
    const { after } = req.query as { after?: unknown };
    let last = resumeAfter(req.headers['last-event-id'], after);
    const organizationId = actor.organizationId;
    const streams = open.get(organizationId) ?? new Set();
    if (streams.size >= STREAMS_PER_ORGANIZATION) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `At most ${STREAMS_PER_ORGANIZATION} open event streams per organization`,
        {
          limit: STREAMS_PER_ORGANIZATION,
        },
      );
    }
    if (lifecycle.draining)
      throw new AppError('SERVICE_UNAVAILABLE', 'The server is shutting down; reconnect');
    const ofOrganization = eq(auditEvents.organizationId, organizationId);
    const visible = isAdmin(actor)
      ? ofOrganization
      : and(ofOrganization, inArray(auditEvents.resourceType, MEMBER_RESOURCES));
    if (last === null) {
      // From now: after every event committed before this request (numbered first).
      await deps.events.catchUp();
      const [row] = await deps.db
        .select({ last: max(auditEvents.sequence) })
        .from(auditEvents)
        .where(ofOrganization);
      last = row?.last ?? 0;
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
      // The connection is the stream's alone: it closes when the stream ends, and never waits idle
      // to hold a shutdown open.
      connection: 'close',
    });
    raw.write(': connected\n\n');

    let ended = false;
    let reading = false;
    let wanted = false;
    const send = async () => {
      if (reading) {
        wanted = true;
        return;
      }
      reading = true;
      try {
        do {
          wanted = false;
          const rows = await deps.db
            .select()
            .from(auditEvents)
            .where(and(visible, gt(auditEvents.sequence, last!)))
            .orderBy(asc(auditEvents.sequence))
            .limit(PAGE);
          for (const row of rows) {
            if (ended) return;
            const event: AuditEvent = toAuditEvent(row);
            raw.write(`id: ${event.sequence}\nevent: ${event.action}\ndata: ${JSON.stringify(event)}\n\n`);
            last = row.sequence!;
          }
          if (rows.length === PAGE) wanted = true;
        } while (wanted && !ended);
      } catch (error) {
        req.log.error({ err: error }, 'event stream read failed');
        end();
      } finally {
        reading = false;
      }
    };
    const unsubscribe = deps.events.onSequenced(organizationId, () => void send());
    const heartbeat = setInterval(() => raw.write(': keepalive\n\n'), HEARTBEAT_MS);
    // The token or key of the stream is checked as every request's is (an expired token, a revoked
    // key, a deactivated user end it within a second and a half).
    const recheck = setInterval(() => {
      authenticate(createContext(deps, req)).catch(() => end());
    }, RECHECK_MS);
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      clearInterval(recheck);
      unsubscribe();
      streams.delete(end);
      if (!streams.size) open.delete(organizationId);
      // The socket goes with the stream (a client that went away may leave it half open).
      raw.end(() => raw.socket?.destroy());
    };
    streams.add(end);
    open.set(organizationId, streams);
    raw.on('close', end);
    await send();
  });
}
