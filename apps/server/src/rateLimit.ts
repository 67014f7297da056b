import { AppError } from './errors';

export interface RateLimiter {
  /** Counts one attempt for `key`; throws 429 TOO_MANY_REQUESTS with `retry-after` past the limit. */
  consume(key: string): Promise<void>;
}

/**
 * A fixed one-minute window per key, kept in this process. Right for the embedded mode and a
 * single instance.
 */
export function memoryRateLimiter(limitPerMinute: number, now = () => Date.now()): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const WINDOW_MS = 60_000;
  return {
    async consume(key) {
      if (limitPerMinute <= 0) return;
      const at = now();
      let window = windows.get(key);
      if (!window || at - window.start >= WINDOW_MS) {
        if (windows.size > 10_000) {
          for (const [k, w] of windows) if (at - w.start >= WINDOW_MS) windows.delete(k);
        }
        window = { start: at, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count > limitPerMinute) {
        const retryAfter = Math.max(1, Math.ceil((window.start + WINDOW_MS - at) / 1000));
        throw new AppError(
          'TOO_MANY_REQUESTS',
          `Too many attempts; retry in ${retryAfter} s`,
          { retryAfterSeconds: retryAfter },
          { 'retry-after': String(retryAfter) },
        );
      }
    },
  };
}
