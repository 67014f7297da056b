import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors';
import { changeEvents, latestSequence } from '../../features/events/eventStream';
import { createContext, type Deps } from '../context';
import type { Lifecycle } from '../shutdown';
import { authenticate } from '../trpc';

/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** Past this much unsent on one stream, it ends (docs/api.md: 1 MiB). */
const UNSENT_MAX = 1024 * 1024;
/** What an ended stream tells the client: reconnect after this long, resuming by sequence. */
const RETRY_MS = 1_000;

/** Whether `raw` drained within `ms` (false: it did not, or the stream ended meanwhile). */
function drained(
  raw: NodeJS.WritableStream & { writableNeedDrain: boolean },
  ms: number,
  signal: AbortSignal,
) {
  if (!raw.writableNeedDrain) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      raw.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onDrain = () => done(true);
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    raw.on('drain', onDrain);
    signal.addEventListener('abort', onAbort);
  });
}

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

/**
 * `GET /api/v1/events` (docs/api.md "Change events"): the organization's change events as
 * server-sent events, `id:` the sequence, `event:` the action, `data:` the `AuditEvent`. It
 * resumes after `Last-Event-ID` (or `?after=`), else starts from now; it wakes when the sequencer
 * of any instance numbers events of the organization, and ends when its token expires, its key is
 * revoked, or the server shuts down.
 */
export function registerEventStream(
  app: FastifyInstance,
  deps: Deps,
  lifecycle: Lifecycle,
  stallMs: number,
): void {
  app.get('/api/v1/events', async (req, reply) => {
    const context = createContext(deps, req);
    const actor = await authenticate(context);
    const { after } = req.query as { after?: unknown };
    const last = resumeAfter(req.headers['last-event-id'], after);
    const organizationId = actor.organizationId;
    if (lifecycle.draining)
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The server is shutting down; reconnect',
        {},
        { 'retry-after': '1' },
      );
    const from = last ?? (await latestSequence(deps, organizationId));
    const release = await deps.events.admitStream(organizationId);
    const controller = new AbortController();
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
    // A keepalive only on a stream whose client keeps up: never piling up behind unread events.
    const heartbeat = setInterval(() => {
      if (!raw.writableNeedDrain) raw.write(': keepalive\n\n');
    }, HEARTBEAT_MS);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      controller.abort();
      clearInterval(heartbeat);
      release();
      // The socket goes with the stream (a client that went away may leave it half open).
      raw.end(() => raw.socket?.destroy());
    };
    raw.on('close', end);
    // The caller is authenticated again before every page, as every request is: a role change
    // applies from the next page on; an expired token, a revoked key or a deactivated user (null)
    // ends the stream within a second.
    const caller = () => authenticate(createContext(deps, req)).catch(() => null);
    try {
      // Pulled, not pushed: the next event is read only once the socket took the last one, so a
      // client that reads slowly holds one page of events here, whatever the backlog. One that
      // stays behind past `stallMs`, or leaves a megabyte unsent, is ended with a retry hint.
      for await (const event of changeEvents(deps, organizationId, from, controller.signal, caller)) {
        raw.write(`id: ${event.sequence}\nevent: ${event.action}\ndata: ${JSON.stringify(event)}\n\n`);
        const behind = raw.writableLength > UNSENT_MAX || !(await drained(raw, stallMs, controller.signal));
        if (behind) {
          if (!ended) raw.write(`retry: ${RETRY_MS}\n\n`);
          break;
        }
      }
    } catch (error) {
      req.log.error({ err: error }, 'event stream failed');
    } finally {
      end();
    }
  });
}
