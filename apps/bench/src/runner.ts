/**
 * One benchmark run on the Node binary running this file: the real server and the floor on a
 * fresh PostgreSQL database, the scale scenario, and the embedded (PGlite) scenario.
 * Writes its results as JSON to --out. Driven by cli.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCursor } from '@switchboard/server';
import postgres from 'postgres';
import { type DashboardTiming, timeDashboardFirstPage } from './dashboard';
import { type EventsResult, eventsBench } from './events';
import { type LoadResult, load } from './load';
import { type OutcomesResult, outcomesBench } from './outcomes';
import { type Started, start } from './processes';
import { type RuntimeResult, runtimeBench } from './runtime';
import { type Seeded, seedThroughApi, templateBody, VARIABLE_VALUES } from './seed';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    templates: { type: 'string', default: '2000' },
    'scale-duration': { type: 'string', default: '3' },
    'skip-scale': { type: 'boolean', default: false },
    'skip-embedded': { type: 'boolean', default: false },
    'skip-events': { type: 'boolean', default: false },
    'skip-outcomes': { type: 'boolean', default: false },
    streams: { type: 'string', default: '1000' },
    'only-events': { type: 'boolean' },
    'only-outcomes': { type: 'boolean' },
    'only-runtime': { type: 'boolean' },
  },
});

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl)
  throw new Error('DATABASE_URL must point at a PostgreSQL server (a fresh database is created on it)');
const durationSeconds = Number(values.duration);
const warmupSeconds = Number(values.warmup);
const connections = Number(values.connections);
const templateCount = Number(values.templates);
const JWT_SECRET = randomBytes(32).toString('hex');
/** Both run as built JavaScript, as in production (cli.ts builds them first). */
const SERVER = 'apps/server/dist/main.mjs';
const FLOOR = 'apps/bench/dist/floor.mjs';

export interface ScenarioResult extends LoadResult {
  scenario: string;
  target: 'server' | 'floor' | 'embedded';
  /** The floor scenario it is compared with. */
  floor?: string;
}

const trpcInput = (input: unknown) => encodeURIComponent(JSON.stringify({ 0: input }));

async function scenarios(target: Started, kind: 'server' | 'floor' | 'embedded', seeded: Seeded) {
  const ids = seeded.templateIds;
  const pick = (i: number) => ids[i % ids.length]!;
  // A template's two agents, in one order or the other: every update changes them.
  const agentOrder = (i: number) => {
    const [first, second] = seeded.agentIds;
    return Math.floor(i / ids.length) % 2 ? [second!, first!] : [first!, second!];
  };
  const run = async (
    scenario: string,
    request: Parameters<typeof load>[0]['request'],
    floor?: string,
  ): Promise<ScenarioResult> => {
    const result = await load({
      url: target.url,
      connections,
      durationSeconds,
      warmupSeconds,
      request,
      token: seeded.token,
      pid: target.child.pid!,
    });
    console.log(
      `  ${kind.padEnd(8)} ${scenario.padEnd(22)} ${String(result.requestsPerSecond).padStart(7)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  non-2xx ${result.non2xx}  rss ${result.peakRssMb} MB`,
    );
    return { scenario, target: kind, floor, ...result };
  };
  if (kind === 'floor') {
    return [
      await run('get by id', (i) => ({ method: 'GET', path: `/floor/templates/${pick(i)}` })),
      await run('list 50', () => ({ method: 'GET', path: '/floor/templates?limit=50' })),
      await run('create', (i) => ({
        method: 'POST',
        path: '/floor/templates',
        body: templateBody(seeded.agentIds, `Floor ${i}`),
      })),
      await run('update name', (i) => ({
        method: 'PUT',
        path: `/floor/templates/${pick(i)}`,
        body: { name: `Floor ${i}` },
      })),
      await run('update agentIds', (i) => ({
        method: 'PUT',
        path: `/floor/templates/${pick(i)}`,
        body: { agentIds: agentOrder(i) },
      })),
      await run('me', () => ({ method: 'GET', path: '/floor/me' })),
    ];
  }
  const results = [
    await run(
      'get by id, REST',
      (i) => ({ method: 'GET', path: `/api/v1/session-templates/${pick(i)}` }),
      'get by id',
    ),
    await run(
      'get by id, tRPC',
      (i) => ({
        method: 'GET',
        path: `/trpc/sessionTemplates.get?batch=1&input=${trpcInput({ id: pick(i) })}`,
      }),
      'get by id',
    ),
    await run(
      'list 50, REST',
      () => ({ method: 'GET', path: '/api/v1/session-templates?limit=50' }),
      'list 50',
    ),
    await run(
      'list 50, tRPC',
      () => ({
        method: 'GET',
        path: `/trpc/sessionTemplates.list?batch=1&input=${trpcInput({ limit: 50 })}`,
      }),
      'list 50',
    ),
  ];
  if (kind === 'embedded') return results;
  const configPath = `/api/v1/session-templates/${seeded.runtimeTemplateId}/config`;
  const current = await fetch(target.url + configPath, {
    headers: { authorization: `Bearer ${seeded.token}` },
  });
  const etag = current.headers.get('etag') ?? '';
  /**
   * The same template deployed to a manual environment with a canary for half of the sessions: the
   * session config of a release (read from the revisions), each request with its own session key.
   */
  const releaseScenarios = async () => {
    const call = (method: string, path: string, body?: unknown) =>
      fetch(target.url + path, {
        method,
        headers: { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    await call('POST', '/api/v1/environments', { name: 'bench' });
    const deployment = `/api/v1/environments/bench/deployments/${seeded.runtimeTemplateId}`;
    const deploy = async (body: object) => {
      const deployed = await call('PUT', deployment, body);
      if (!deployed.ok) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`);
    };
    await deploy({});
    // A canary is another release than the stable: the template is saved once more before it.
    const templatePath = `/api/v1/session-templates/${seeded.runtimeTemplateId}`;
    const { version } = (await (await call('GET', templatePath)).json()) as { version: number };
    const saved = await call('PUT', templatePath, { version, description: 'The canary of the bench' });
    if (!saved.ok) throw new Error(`save failed: ${saved.status} ${await saved.text()}`);
    await deploy({ canaryPercent: 50 });
    const releasePath = (key: string) => `${configPath}?environment=bench&sessionKey=${key}`;
    const released = await call('GET', releasePath('fixed'));
    const releaseTag = released.headers.get('etag') ?? '';
    return [
      await run('release config, REST', (i) => ({ method: 'GET', path: releasePath(`s${i}`) }), 'get by id'),
      await run(
        'release config 304, REST',
        () => ({ method: 'GET', path: releasePath('fixed'), headers: { 'if-none-match': releaseTag } }),
        'get by id',
      ),
    ];
  };
  results.push(
    await run('session config, REST', () => ({ method: 'GET', path: configPath }), 'get by id'),
    await run(
      'config + 5 variables',
      () => ({ method: 'POST', path: configPath, body: { variables: VARIABLE_VALUES } }),
      'get by id',
    ),
    await run(
      'session config 304, REST',
      () => ({ method: 'GET', path: configPath, headers: { 'if-none-match': etag } }),
      'get by id',
    ),
    ...(await releaseScenarios()),
    await run(
      'create, REST',
      (i) => ({
        method: 'POST',
        path: '/api/v1/session-templates',
        body: templateBody(seeded.agentIds, `Load ${i}`),
      }),
      'create',
    ),
    await run(
      'update name, REST',
      (i) => ({
        method: 'PUT',
        path: `/api/v1/session-templates/${pick(i)}`,
        body: { name: `Renamed ${i}` },
      }),
      'update name',
    ),
    await run(
      'update agentIds, REST',
      (i) => ({
        method: 'PUT',
        path: `/api/v1/session-templates/${pick(i)}`,
        body: { agentIds: agentOrder(i) },
      }),
      'update agentIds',
    ),
    await run('auth.me, REST', () => ({ method: 'GET', path: '/api/v1/auth/me' }), 'me'),
    await run(
      'auth.me, tRPC',
      () => ({ method: 'GET', path: `/trpc/auth.me?batch=1&input=${trpcInput(undefined)}` }),
      'me',
    ),
  );
  return results;
}

interface ScaleResult {
  templates: number;
  page: 'first' | 'deep';
  p50: number;
  p99: number;
  requestsPerSecond: number;
}

/** List latency at 1,000 and at 100,000 templates in one organization (rows inserted in bulk SQL). */
async function scale(
  server: Started,
  sql: postgres.Sql,
): Promise<{
  results: ScaleResult[];
  dashboard: DashboardTiming | null;
  history: HistoryResult[];
  imports: ImportResult[];
}> {
  const seeded = await seedThroughApi(server.url, 0);
  const results: ScaleResult[] = [];
  let dashboard: DashboardTiming | null = null;
  let inserted = 0;
  for (const total of [1_000, 100_000]) {
    await sql`insert into session_templates (organization_id, name, agent_ids, created_at, updated_at)
      select ${seeded.organizationId}, 'Scale ' || g, ${[seeded.agentIds[0]!]}::uuid[],
        now() - make_interval(secs => g / 1000.0), now()
      from generate_series(${inserted + 1}::int, ${total}::int) g`;
    inserted = total;
    await sql`analyze session_templates`;
    if (total === 1_000) dashboard = await timeDashboardFirstPage(server.url, seeded, total);
    const [deep] = await sql`select id, created_at from session_templates
      where organization_id = ${seeded.organizationId} and is_active
      order by created_at desc, id desc offset ${Math.floor(total * 0.9)} limit 1`;
    const cursor = encodeCursor({ createdAt: deep!.created_at as Date, id: deep!.id as string });
    for (const page of ['first', 'deep'] as const) {
      const query = page === 'first' ? 'limit=50' : `limit=50&cursor=${cursor}`;
      const result = await load({
        url: server.url,
        connections: 8,
        durationSeconds: Number(values['scale-duration']),
        warmupSeconds: 1,
        request: () => ({ method: 'GET', path: `/api/v1/session-templates?${query}` }),
        token: seeded.token,
        pid: server.child.pid!,
      });
      console.log(
        `  scale    ${String(total).padStart(7)} templates, ${page} page: p50 ${result.p50} ms, p99 ${result.p99} ms`,
      );
      results.push({
        templates: total,
        page,
        p50: result.p50,
        p99: result.p99,
        requestsPerSecond: result.requestsPerSecond,
      });
    }
  }
  return {
    results,
    dashboard,
    history: await historyScale(server, sql, seeded),
    imports: await importScale(server),
  };
}

interface ImportResult {
  agents: number;
  templates: number;
  bytes: number;
  dryRunMs: number;
  applyMs: number;
  /** The same bundle again with every agent and every template changed, applied. */
  changeAllMs: number;
}

/** A bundle of `agents` agents and `templates` templates of 3 agents each, as a team keeps in git. */
function generatedBundle(agentCount: number, templateCount: number, edition = 1) {
  const agents = Array.from({ length: agentCount }, (_, i) => ({
    name: `Agent ${String(i).padStart(4, '0')}`,
    instructions: `You are agent ${i} (edition ${edition}). Greet the caller, help them, and hand over when asked.`,
    tools: ['search'],
    handoffTargets: i > 0 ? [`Agent ${String(i - 1).padStart(4, '0')}`] : [],
  }));
  const sessionTemplates = Array.from({ length: templateCount }, (_, i) => ({
    name: `Template ${String(i).padStart(5, '0')}`,
    description: `Generated template ${i}, edition ${edition}`,
    agents: [0, 1, 2].map((k) => agents[(i + k) % agentCount]!.name),
    maxDurationSeconds: 3600,
  }));
  return { format: 'switchboard.bundle/v1', agents, sessionTemplates };
}

/**
 * Import of a whole bundle in one request, at three sizes (the largest 500 agents and 2,000
 * templates), each into a new organization: the plan (dry run), then the import applied.
 */
async function importScale(server: Started): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (const [agentCount, templateCount] of [
    [125, 500],
    [250, 1000],
    [500, 2000],
  ] as const) {
    const { token } = await seedThroughApi(server.url, 0);
    const body = (dryRun: boolean, edition = 1) =>
      JSON.stringify({ bundle: generatedBundle(agentCount, templateCount, edition), dryRun });
    const time = async (dryRun: boolean, edition = 1) => {
      const began = performance.now();
      const response = await fetch(`${server.url}/api/v1/config/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: body(dryRun, edition),
      });
      if (!response.ok)
        throw new Error(`import: ${response.status} ${(await response.text()).slice(0, 300)}`);
      await response.json();
      return Math.round(performance.now() - began);
    };
    const dryRunMs = await time(true);
    const applyMs = await time(false);
    const changeAllMs = await time(false, 2);
    console.log(
      `  import   ${agentCount} agents + ${templateCount} templates (${Math.round(body(false).length / 1024)} KiB): dry run ${dryRunMs} ms, applied ${applyMs} ms, every one changed ${changeAllMs} ms`,
    );
    results.push({
      agents: agentCount,
      templates: templateCount,
      bytes: body(false).length,
      dryRunMs,
      applyMs,
      changeAllMs,
    });
  }
  return results;
}

interface HistoryResult {
  revisions: number;
  page: 'first' | 'deep';
  p50: number;
  p99: number;
}

/**
 * A template's history page at 10 and at 10,000 revisions: two templates made through the API,
 * then revisions added in bulk SQL (copies of the first), first page and a page near the end.
 */
async function historyScale(server: Started, sql: postgres.Sql, seeded: Seeded): Promise<HistoryResult[]> {
  const results: HistoryResult[] = [];
  for (const total of [10, 10_000]) {
    const template = await fetch(`${server.url}/api/v1/session-templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seeded.token}` },
      body: JSON.stringify(templateBody(seeded.agentIds, `History ${total}`)),
    }).then((response) => response.json() as Promise<{ id: string }>);
    await sql`insert into revisions (organization_id, resource_type, resource_id, version, action, actor_type,
        actor_id, actor_name, changes, snapshot, agent_versions)
      select organization_id, resource_type, resource_id, g, 'updated', actor_type, actor_id, actor_name, changes,
        snapshot, agent_versions
      from revisions, generate_series(2, ${total}::int) g
      where resource_id = ${template.id} and version = 1`;
    await sql`analyze revisions`;
    const deepCursor = Buffer.from(`revision|${Math.ceil(total * 0.1)}`).toString('base64url');
    for (const page of ['first', 'deep'] as const) {
      const query = page === 'first' ? 'limit=50' : `limit=50&cursor=${deepCursor}`;
      const result = await load({
        url: server.url,
        connections: 8,
        durationSeconds: Number(values['scale-duration']),
        warmupSeconds: 1,
        request: () => ({
          method: 'GET',
          path: `/api/v1/session-templates/${template.id}/revisions?${query}`,
        }),
        token: seeded.token,
        pid: server.child.pid!,
      });
      console.log(
        `  history  ${String(total).padStart(7)} revisions, ${page} page: p50 ${result.p50} ms, p99 ${result.p99} ms`,
      );
      results.push({ revisions: total, page, p50: result.p50, p99: result.p99 });
    }
  }
  return results;
}

async function main() {
  const database = `switchboard_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${database}"`);
  const url = new URL(adminUrl!);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const started: Started[] = [];
  try {
    console.log(
      `node ${process.version}: PostgreSQL, ${connections} connections, ${warmupSeconds} s warm-up + ${durationSeconds} s`,
    );
    const env = { DATABASE_URL: databaseUrl, JWT_SECRET, AUTH_RATE_LIMIT: '0', LOG_LEVEL: 'warn' };
    // `--only-events`: the change-event scenarios alone (no HTTP scenarios, scale or embedded).
    const onlyEvents = values['only-events'] === true;
    let floor: ScenarioResult[] = [];
    let results: ScenarioResult[] = [];
    let scaled:
      | Awaited<ReturnType<typeof scale>>
      | { results: []; dashboard: null; history: []; imports: [] } = {
      results: [],
      dashboard: null,
      history: [],
      imports: [],
    };
    // `--only-outcomes`, `--only-runtime`: those scenarios alone.
    const onlyRuntime = values['only-runtime'] === true;
    const onlyOutcomes = values['only-outcomes'] === true || onlyRuntime;
    let runtime: RuntimeResult | undefined;
    const skipOutcomes = values['skip-outcomes'] === true && !onlyOutcomes;
    if (!onlyEvents && !skipOutcomes) {
      // Two instances on one database; 100 runtimes hold change-event streams on them.
      const streams = { ...env, EVENT_STREAMS_PER_ORGANIZATION: '200' };
      const [first, second] = [await start(SERVER, streams), await start(SERVER, streams)];
      started.push(first, second);
      const seeded = await seedThroughApi(first.url, 10);
      runtime = await runtimeBench([first.url, second.url], seeded);
      await Promise.all([first.stop(), second.stop()]);
    }
    let outcomes: OutcomesResult | undefined;
    if (!onlyEvents && !onlyRuntime && !skipOutcomes) {
      const server = await start(SERVER, env);
      started.push(server);
      const seeded = await seedThroughApi(server.url, onlyOutcomes ? 10 : 200);
      outcomes = await outcomesBench(server.url, server.child.pid!, seeded, {
        durationSeconds,
        warmupSeconds,
        connections,
        databaseUrl,
      });
      await server.stop();
    }
    if (!onlyEvents && !onlyOutcomes) {
      const server = await start(SERVER, env);
      started.push(server);
      const seeded = await seedThroughApi(server.url, templateCount);
      const floorProcess = await start(FLOOR, env);
      started.push(floorProcess);
      floor = await scenarios(floorProcess, 'floor', seeded);
      await floorProcess.stop();
      results = await scenarios(server, 'server', seeded);
      if (!values['skip-scale']) scaled = await scale(server, sql);
      await server.stop();
    }
    const { results: scaleResults, dashboard, history, imports } = scaled;

    let events: EventsResult | undefined;
    if (!values['skip-events'] && !onlyOutcomes) {
      // Its own instance: the open streams may exceed docs/api.md's 100, and the receiver is on 127.0.0.1.
      const eventsServer = await start(SERVER, {
        ...env,
        EVENT_STREAMS_PER_ORGANIZATION: String(Number(values.streams) + 10),
        WEBHOOK_ALLOW_PRIVATE: '1',
      });
      started.push(eventsServer);
      events = await eventsBench(eventsServer.url, eventsServer.child.pid!, {
        durationSeconds,
        warmupSeconds,
        streams: Number(values.streams),
        databaseUrl,
      });
      await eventsServer.stop();
    }

    let embedded: { coldStartMs: number; results: ScenarioResult[] } | undefined;
    if (!values['skip-embedded'] && !onlyEvents && !onlyOutcomes) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-bench-'));
      try {
        const embeddedServer = await start(SERVER, {
          DATABASE_URL: undefined,
          DATA_DIR: dataDir,
          AUTH_RATE_LIMIT: '0',
          LOG_LEVEL: 'warn',
        });
        started.push(embeddedServer);
        console.log(`  embedded cold start to ready: ${embeddedServer.readyMs} ms`);
        const small = await seedThroughApi(embeddedServer.url, 200);
        const embeddedResults = await scenarios(embeddedServer, 'embedded', small);
        await embeddedServer.stop();
        embedded = { coldStartMs: embeddedServer.readyMs, results: embeddedResults };
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const report = {
      node: process.version,
      connections,
      durationSeconds,
      warmupSeconds,
      templates: templateCount,
      floor,
      results,
      scale: scaleResults,
      history,
      imports,
      dashboard,
      events,
      outcomes,
      runtime,
      embedded,
    };
    if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2));
  } finally {
    await Promise.all(started.map((process) => process.stop()));
    await sql.end();
    await admin.unsafe(`drop database if exists "${database}" with (force)`);
    await admin.end();
  }
}

await main();
process.exit(0);
