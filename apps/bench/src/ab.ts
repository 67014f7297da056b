/**
 * `pnpm --filter @switchboard/bench ab --before PATH [--after PATH] [--rounds 10] [--duration 3]`
 *
 * A paired comparison of two builds of the server (`dist/main.mjs` of each, e.g. one built in a
 * clone at an older commit): both run at once on one fresh database, and each round measures the
 * same requests against one then the other, the order alternating, so the machine's drift (on 2
 * shared cores a scenario's rate moves by ±30% from one minute to the next) falls on both alike.
 * Prints each build's rates and the ratio of the medians. The two builds must share their
 * migrations. Needs DATABASE_URL, like `pnpm bench`; runs the servers on the Node that runs it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { median } from './load';
import { REPO, type Started, start } from './processes';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: path.join(REPO, 'apps/server/dist/main.mjs') },
    rounds: { type: 'string', default: '10' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
});
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl || !values.before) {
  console.error('ab: set DATABASE_URL and --before (another build of apps/server/dist/main.mjs)');
  process.exit(2);
}
const databaseName = `switchboard_ab_${randomBytes(4).toString('hex')}`;
const admin = postgres(adminUrl, { onnotice: () => {}, max: 1 });
await admin.unsafe(`create database ${databaseName}`);
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${databaseName}`;
const env = {
  DATABASE_URL: databaseUrl.toString(),
  JWT_SECRET: randomBytes(32).toString('hex'),
  AUTH_RATE_LIMIT: '0',
  LOG_LEVEL: 'warn',
};

/** Every server started, stopped at the end whatever happened. */
const started: Started[] = [];
const startBuild = async (entry: string) => {
  const server = await start(path.resolve(entry), env);
  started.push(server);
  return server;
};

try {
  // One at a time: the second finds the database migrated.
  const builds = { after: await startBuild(values.after!), before: await startBuild(values.before) };
  const call = async (method: string, route: string, token: string | null, body?: unknown) => {
    const response = await fetch(`${builds.after.url}/api/v1${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string; accessToken: string };
  };
  const { accessToken: token } = await call('POST', '/auth/signup', null, {
    email: 'ab@example.com',
    password: 'switchboard-ab',
    fullName: 'A B',
    organizationName: 'A/B',
  });
  const agentIds: string[] = [];
  for (let i = 0; i < 3; i++)
    agentIds.push((await call('POST', '/agents', token, { name: `Agent ${i}`, instructions: 'Speaks.' })).id);
  const template = await call('POST', '/session-templates', token, { name: 'Template', agentIds });
  for (let i = 0; i < 50; i++) await call('POST', '/session-templates', token, { name: `T${i}`, agentIds });
  const scenarios = {
    'session config, REST': `/api/v1/session-templates/${template.id}/config`,
    'get by id, REST': `/api/v1/session-templates/${template.id}`,
    'list 50, REST': '/api/v1/session-templates?limit=50',
    'auth.me, REST': '/api/v1/auth/me',
  };
  const rates = Object.fromEntries(
    Object.keys(scenarios).map((scenario) => [scenario, { before: [] as number[], after: [] as number[] }]),
  );
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [scenario, route] of Object.entries(scenarios)) {
      const order = round % 2 === 0 ? (['after', 'before'] as const) : (['before', 'after'] as const);
      for (const build of order) {
        const result = await autocannon({
          url: builds[build].url + route,
          connections: Number(values.connections),
          duration: Number(values.duration),
          headers: { authorization: `Bearer ${token}` },
        });
        rates[scenario]![build].push(Math.round(result.requests.average));
      }
    }
  }
  for (const [scenario, { before, after }] of Object.entries(rates)) {
    const [medianBefore, medianAfter] = [median(before, (rate) => rate), median(after, (rate) => rate)];
    const ratio = (medianAfter / medianBefore).toFixed(2);
    console.log(`${scenario}: after/before ${ratio} (medians ${medianAfter} and ${medianBefore} req/s)`);
    console.log(`  before ${before.join(', ')}\n  after  ${after.join(', ')}`);
  }
} finally {
  await Promise.all(started.map((server) => server.stop()));
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
  await admin.end();
}
