import { authRateLimits, type Db } from '@switchboard/db';
import { lt, sql } from 'drizzle-orm';
import { AppError } from '../core/errors';

export interface RateLimiter {
  /** Counts one attempt for `key`; throws 429 TOO_MANY_REQUESTS with `retry-after` past the limit. */
  consume(key: string): Promise<void>;
}

const WINDOW_MS = 60_000;
const CLEANUP_EVERY = 100;

/**
 * A fixed one-minute window per key, counted in the database (one upsert per attempt), so every
 * server instance on the database shares the count. Past windows are deleted now and then.
 */
export function databaseRateLimiter(db: Db, limitPerMinute: number): RateLimiter {
  let calls = 0;
  return {
    async consume(key) {
      if (limitPerMinute <= 0) return;
      const [row] = await db
        .insert(authRateLimits)
        .values({ key, windowStart: sql`date_trunc('minute', now())`, attempts: 1 })
        .onConflictDoUpdate({
          target: [authRateLimits.key, authRateLimits.windowStart],
          set: { attempts: sql`${authRateLimits.attempts} + 1` },
        })
        .returning({ attempts: authRateLimits.attempts, windowStart: authRateLimits.windowStart });
      if (++calls % CLEANUP_EVERY === 0) {
        // Housekeeping, not part of the answer: the attempt that triggers it does not wait, and a
        // failed cleanup is retried by the next one.
        void db
          .delete(authRateLimits)
          .where(lt(authRateLimits.windowStart, sql`now() - interval '2 minutes'`))
          .catch(() => {});
      }
      if (row && row.attempts > limitPerMinute) {
        const retryAfter = Math.min(
          60,
          Math.max(1, Math.ceil((row.windowStart.getTime() + WINDOW_MS - Date.now()) / 1000)),
        );
        throw new AppError(
          'TOO_MANY_REQUESTS',
          `Too many signup or login attempts; retry in ${retryAfter} s`,
          { retryAfterSeconds: retryAfter },
          { 'retry-after': String(retryAfter) },
        );
      }
    },
  };
}
