import type { FastifyInstance } from 'fastify';

/**
 * Where an instance is in its life: serving, draining (readiness answers 503 so the load balancer
 * takes it out, while every request that still arrives is served), or closed.
 */
export class Lifecycle {
  draining = false;
}

export interface ShutdownOptions {
  /** How long readiness answers 503 before the listener closes (`DRAIN_MS`). */
  drainMs: number;
  /** After the drain, the longest in-flight requests may take before the process exits anyway. */
  timeoutMs: number;
  /** Closes what the server does not own (the database pool), after the server has closed. */
  release: () => Promise<void>;
  exit: (code: number) => void;
}

/**
 * A rolling restart with nothing lost (docs/deploying.md "Rolling restarts with nothing lost", `DRAIN_MS`): on the first SIGTERM or
 * SIGINT, readiness turns to 503 `draining` and every other request is still served, each answer
 * with `connection: close` so clients and balancers open their next connection elsewhere; after
 * `drainMs` the listener closes and in-flight requests finish; the process exits 0 once they have,
 * or 1 when `timeoutMs` passes first. A second signal exits at once (1).
 */
export function gracefulShutdown(app: FastifyInstance, lifecycle: Lifecycle, options: ShutdownOptions) {
  let signalled = false;
  return (signal: string) => {
    if (signalled) {
      app.log.warn({ signal }, 'second signal: exiting now');
      options.exit(1);
      return;
    }
    signalled = true;
    lifecycle.draining = true;
    app.log.info(
      { signal, drainMs: options.drainMs },
      'draining: readiness answers 503, requests are still served',
    );
    setTimeout(async () => {
      app.log.info('closing: no new connections; finishing in-flight requests');
      const deadline = setTimeout(() => {
        app.log.error({ timeoutMs: options.timeoutMs }, 'in-flight requests did not finish in time: exiting');
        options.exit(1);
      }, options.timeoutMs);
      deadline.unref();
      try {
        await app.close();
        await options.release();
        options.exit(0);
      } catch (error) {
        app.log.error({ err: error }, 'shutdown failed');
        options.exit(1);
      }
    }, options.drainMs);
  };
}
