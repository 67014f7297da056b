import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Builds each request: method, path, body, headers. */
  request: (index: number) => {
    method: 'GET' | 'POST' | 'PUT';
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
  };
  token: string;
  /** The process whose RSS is sampled while the load runs. */
  pid: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  peakRssMb: number;
}

/** The middle item of `values` ordered by `by` (the upper middle of an even count). */
export function median<T>(values: readonly T[], by: (value: T) => number): T {
  return values.toSorted((a, b) => by(a) - by(b))[Math.floor(values.length / 2)]!;
}

export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

function run(options: LoadOptions, durationSeconds: number): Promise<autocannon.Result> {
  let counter = 0;
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: durationSeconds,
        headers,
        requests: [
          {
            setupRequest: (request) => {
              const next = options.request(counter++);
              return {
                ...request,
                method: next.method,
                path: next.path,
                body: next.body === undefined ? undefined : JSON.stringify(next.body),
                // A fresh headers object per request: autocannon writes the body's Content-Length
                // into the one it is given, and a GET after a POST on the same connection would
                // otherwise announce the POST's length with no body (the server then reads the
                // next request as that body).
                headers: { ...headers, ...next.headers },
              };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/** Warm-up, then a fixed-duration run; RSS of the target sampled every 100 ms. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await run(options, options.warmupSeconds);
  let peak = rssMb(options.pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(options.pid));
  }, 100);
  try {
    const result = await run(options, options.durationSeconds);
    return {
      requestsPerSecond: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      peakRssMb: Math.round(Math.max(peak, rssMb(options.pid))),
    };
  } finally {
    clearInterval(sampler);
  }
}
