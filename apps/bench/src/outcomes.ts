/**
 * Session outcomes (docs/api.md "Session outcomes and guarded canaries"; docs: docs/performance.md):
 * - ingestion at full speed, in batches of 500, on one instance (outcomes/s);
 * - the event loop's CPU per outcome at 20,000 outcomes/s (the server's main thread; reports are
 *   read on a worker thread);
 * - session-config reads alone and with ingestion at 20,000 outcomes/s beside them, in rounds that
 *   alternate which goes first, so the drift of a shared machine falls on both alike (their rate
 *   must hold ≥ 0.9×: the median beside against the median alone);
 * - database statements during ingestion (transactions of the bench database, from
 *   pg_stat_database), against outcomes/s (≤ 1%).
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { type LoadResult, load, median } from './load';
import { type Seeded, VARIABLE_VALUES } from './seed';

export interface OutcomesResult {
  batch: number;
  /** Ingestion alone, as fast as the connections go. */
  ingestion: { outcomesPerSecond: number; p99: number; non2xx: number; statementsPerSecond: number };
  /** The server's main thread (its event loop): CPU milliseconds per second, and µs per outcome, at `paced`. */
  eventLoop: { cpuMsPerSecond: number; microsecondsPerOutcome: number };
  /**
   * Config reads alone, and with ingestion at `paced` outcomes/s, in alternating rounds: each
   * round's rates and the medians.
   */
  reads: {
    alone: LoadResult;
    withIngestion: LoadResult;
    rounds: { alone: number; withIngestion: number }[];
    paced: number;
    pacedAchieved: number;
  };
  /** From the breaching report's answer to the canary's abort being visible, with GUARD_INTERVAL. */
  breach: { guardIntervalMs: number; actedAfterMs: number };
}

const BATCH = 500;
const PACED = 20_000;
const ROUNDS = 3;

/** CPU milliseconds the main thread of process `pid` has used (Linux: user + system ticks of 10 ms). */
function mainThreadCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function ingest(
  url: string,
  token: string,
  body: string,
  seconds: number,
  connections: number,
  rate?: number,
) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `${url}/api/v1/session-outcomes`,
        method: 'POST',
        connections,
        duration: seconds,
        ...(rate ? { overallRate: rate } : {}),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function transactions(sql: postgres.Sql): Promise<number> {
  const [row] =
    await sql`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`;
  return Number(row!.n);
}

export async function outcomesBench(
  url: string,
  pid: number,
  seeded: Seeded,
  options: { durationSeconds: number; warmupSeconds: number; connections: number; databaseUrl: string },
): Promise<OutcomesResult> {
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const templateId = seeded.runtimeTemplateId;
  const config = (await (await call('GET', `/api/v1/session-templates/${templateId}/config`)).json()) as {
    release: Record<string, unknown>;
  };
  const release = { ...config.release };
  const endedAt = new Date().toISOString();
  const body = JSON.stringify({
    outcomes: Array.from({ length: BATCH }, (_, i) => ({
      templateId,
      environment: 'production',
      release,
      sessionKey: `bench-${i}`,
      endedAt,
      status: i % 50 === 0 ? 'failed' : 'completed',
      firstResponseMs: 300 + (i % 400),
      score: (i % 10) / 10,
    })),
  });
  const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    // Ingestion alone, at full speed.
    await ingest(url, seeded.token, body, options.warmupSeconds, 8);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = await transactions(sql);
    const began = performance.now();
    const full = await ingest(url, seeded.token, body, options.durationSeconds, 8);
    const seconds = (performance.now() - began) / 1000;
    // The server flushes every 500 ms and PostgreSQL publishes its counters within a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const statements = (await transactions(sql)) - before;
    const outcomesPerSecond = Math.round(full.requests.average * BATCH);
    console.log(
      `  outcomes: ${outcomesPerSecond}/s in batches of ${BATCH} (p99 ${full.latency.p99} ms, non-2xx ${full.non2xx}), ${Math.round(statements / seconds)} database statements/s`,
    );

    // The event loop's share of ingestion at 20,000 outcomes/s, alone.
    const cpuBefore = mainThreadCpuMs(pid);
    const cpuBegan = performance.now();
    const pacedAlone = await ingest(url, seeded.token, body, options.durationSeconds, 2, PACED / BATCH);
    const cpuSeconds = (performance.now() - cpuBegan) / 1000;
    const cpuMs = mainThreadCpuMs(pid) - cpuBefore;
    const eventLoop = {
      cpuMsPerSecond: Math.round(cpuMs / cpuSeconds),
      microsecondsPerOutcome: Number(((cpuMs * 1000) / (pacedAlone.requests.total * BATCH)).toFixed(2)),
    };
    console.log(
      `  event loop at ${PACED} outcomes/s: ${eventLoop.cpuMsPerSecond} ms of CPU a second, ${eventLoop.microsecondsPerOutcome} µs per outcome`,
    );

    // Config reads alone and with ingestion at 20,000 outcomes/s beside them, rounds alternating.
    const configPath = `/api/v1/session-templates/${templateId}/config`;
    const reads = (): Promise<LoadResult> =>
      load({
        url,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        request: () => ({ method: 'POST', path: configPath, body: { variables: VARIABLE_VALUES } }),
        token: seeded.token,
        pid,
      });
    const beside = async () => {
      const [withIngestion, pacedRun] = await Promise.all([
        reads(),
        ingest(url, seeded.token, body, options.warmupSeconds + options.durationSeconds, 2, PACED / BATCH),
      ]);
      return { withIngestion, achieved: Math.round(pacedRun.requests.average * BATCH) };
    };
    const rounds: { alone: LoadResult; withIngestion: LoadResult; achieved: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let alone: LoadResult;
      let besideRun: Awaited<ReturnType<typeof beside>>;
      if (round % 2 === 0) {
        alone = await reads();
        besideRun = await beside();
      } else {
        besideRun = await beside();
        alone = await reads();
      }
      rounds.push({ alone, ...besideRun });
      console.log(
        `  round ${round + 1}: config + 5 variables ${alone.requestsPerSecond} req/s alone, ${besideRun.withIngestion.requestsPerSecond} req/s beside ${besideRun.achieved} outcomes/s`,
      );
    }
    const alone = median(rounds, (round) => round.alone.requestsPerSecond).alone;
    const withIngestion = median(rounds, (round) => round.withIngestion.requestsPerSecond).withIngestion;
    const pacedAchieved = median(rounds, (round) => round.achieved).achieved;
    console.log(
      `  config + 5 variables, medians: ${alone.requestsPerSecond} req/s alone, ${withIngestion.requestsPerSecond} req/s beside ${pacedAchieved} outcomes/s (${(withIngestion.requestsPerSecond / Math.max(alone.requestsPerSecond, 1)).toFixed(2)}×)`,
    );
    const breach = await timeBreach(call, templateId);
    console.log(
      `  guard: a breach acted on ${breach.actedAfterMs} ms after it was reported (GUARD_INTERVAL 10 s)`,
    );
    return {
      breach,
      batch: BATCH,
      ingestion: {
        outcomesPerSecond,
        p99: full.latency.p99,
        non2xx: full.non2xx,
        statementsPerSecond: Math.round(statements / seconds),
      },
      eventLoop,
      reads: {
        alone,
        withIngestion,
        rounds: rounds.map((round) => ({
          alone: round.alone.requestsPerSecond,
          withIngestion: round.withIngestion.requestsPerSecond,
        })),
        paced: PACED,
        pacedAchieved,
      },
    };
  } finally {
    await sql.end();
  }
}

/**
 * A guarded canary in a new environment, then a report that breaches it: the time until the
 * deployment no longer has the canary (the server's default GUARD_INTERVAL, 10 s).
 */
async function timeBreach(
  call: (method: string, path: string, body?: unknown) => Promise<Response>,
  templateId: string,
): Promise<{ guardIntervalMs: number; actedAfterMs: number }> {
  const environment = 'guarded';
  await call('POST', '/api/v1/environments', { name: environment });
  const path = `/api/v1/environments/${environment}/deployments/${templateId}`;
  await call('PUT', path, {});
  await call('PUT', `/api/v1/session-templates/${templateId}`, { description: 'A canary to breach' });
  const canary = await call('PUT', path, {
    canaryPercent: 50,
    guard: { maxFailureRateIncrease: 0.01, minSessions: 100, bakeMinutes: 60 },
  });
  if (!canary.ok) throw new Error(`canary deploy failed: ${canary.status} ${await canary.text()}`);
  const deployed = (await canary.json()) as {
    stable: Record<string, unknown>;
    canary: { templateVersion: number; agentVersions: Record<string, number> };
  };
  const outcomes = (arm: 'stable' | 'canary', failedEvery: number) =>
    Array.from({ length: 200 }, (_, i) => ({
      templateId,
      environment,
      release:
        arm === 'stable'
          ? { ...deployed.stable, arm }
          : {
              templateVersion: deployed.canary.templateVersion,
              agentVersions: deployed.canary.agentVersions,
              arm,
            },
      endedAt: new Date().toISOString(),
      status: i % failedEvery === 0 ? 'failed' : 'completed',
    }));
  const report = await call('POST', '/api/v1/session-outcomes', {
    outcomes: [...outcomes('stable', 100), ...outcomes('canary', 2)],
  });
  if (report.status !== 202) throw new Error(`report failed: ${report.status} ${await report.text()}`);
  const reported = performance.now();
  for (;;) {
    const served = (await (await call('GET', `/api/v1/environments/${environment}/deployments`)).json()) as {
      items: { templateId: string; canary: unknown }[];
    };
    if (served.items.find((item) => item.templateId === templateId)?.canary === null) break;
    if (performance.now() - reported > 30_000) throw new Error('the guard did not act within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { guardIntervalMs: 10_000, actedAfterMs: Math.round(performance.now() - reported) };
}
