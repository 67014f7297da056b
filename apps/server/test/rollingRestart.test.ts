import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ServerProcess, startProcess } from './processes';
import { rowsOf } from './server';

/**
 * What users do (docs/deploying.md): two instances on one PostgreSQL database behind HAProxy
 * (Debian's), upgraded one at a time while traffic flows. The balancer checks `GET /health/ready`
 * every 500 ms and takes an instance out after 2 failures; a SIGTERM turns readiness to 503 for
 * `DRAIN_MS` (2 s) while the instance still serves, so the balancer stops sending before the
 * listener closes. With the balancer's retries off, nothing may fail.
 */
const HAPROXY = '/usr/sbin/haproxy';
const onPostgres = Boolean(process.env.DATABASE_URL);
// CI installs HAProxy (.ci/run) and must run this; elsewhere it runs where HAProxy is installed.
const runs = onPostgres && (existsSync(HAPROXY) || process.env.CI === 'true');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CONNECTIONS = 16;

interface Balancer {
  url: string;
  child: ChildProcess;
  /** Each server's state as HAProxy sees it (`UP`, `DOWN`, …), from its stats socket. */
  status(): Promise<Record<string, string>>;
}

/**
 * HAProxy's retries: `off` sends no request twice; `connection` retries only a connection that
 * could not be opened, on another server (the request never reached one, so it cannot run twice),
 * and opens a connection per request so that a dead server's unsent requests are such failures;
 * `on` also resends a request whose answer never came (which may run it twice).
 */
const RETRIES = {
  off: ['  retries 0'],
  connection: ['  retries 3', '  retry-on conn-failure', '  option redispatch', '  option http-server-close'],
  on: ['  retries 3', '  retry-on conn-failure empty-response response-timeout', '  option redispatch'],
};

async function startBalancer(
  servers: Record<string, number>,
  retries: keyof typeof RETRIES,
): Promise<Balancer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-haproxy-'));
  const port = await freePort();
  const socket = path.join(dir, 'stats.sock');
  const config = [
    'global',
    `  stats socket ${socket} level admin`,
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    ...RETRIES[retries],
    'listen api',
    `  bind 127.0.0.1:${port}`,
    '  balance roundrobin',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    '  default-server inter 500 fall 2 rise 2',
    ...Object.entries(servers).map(([name, serverPort]) => `  server ${name} 127.0.0.1:${serverPort} check`),
  ].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, `${config}\n`);
  const child = spawn(HAPROXY, ['-f', file, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk) => (output += chunk));
  const status = () =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const client = connect(socket);
      let text = '';
      client.on('data', (chunk) => (text += chunk));
      client.on('error', reject);
      client.on('end', () => {
        const states: Record<string, string> = {};
        for (const line of text.split('\n')) {
          const [proxy, server, ...rest] = line.split(',');
          if (proxy === 'api' && server && server !== 'FRONTEND' && server !== 'BACKEND')
            states[server] = rest[15]!;
        }
        resolve(states);
      });
      client.write('show stat\n');
    });
  for (let i = 0; i < 100; i++) {
    const states = await status().catch(() => ({}) as Record<string, string>);
    if (Object.keys(servers).every((name) => states[name] === 'UP'))
      return { url: `http://127.0.0.1:${port}`, child, status };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`HAProxy did not see every server up:\n${output}`);
}

/** Waits until HAProxy reports `server` in `state`; answers when (performance.now()). */
async function until(balancer: Balancer, server: string, state: 'UP' | 'DOWN', withinMs = 60_000) {
  const by = performance.now() + withinMs;
  while (performance.now() < by) {
    if ((await balancer.status())[server]?.startsWith(state)) return performance.now();
    await sleep(25);
  }
  throw new Error(`${server} was not ${state} within ${withinMs} ms`);
}

interface Outcome {
  started: number;
  ended: number;
  status: number | null;
  error: string | null;
}

/**
 * `CONNECTIONS` clients reading and renaming templates through the balancer until `stop()`; every
 * answer is kept, and every acknowledged rename (template, version, name).
 */
function loadThrough(url: string, token: string, templateIds: string[]) {
  const outcomes: Outcome[] = [];
  const acknowledged: { id: string; version: number; name: string }[] = [];
  let running = true;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const worker = async (index: number) => {
    const id = templateIds[index % templateIds.length]!;
    for (let n = 0; running; n++) {
      const rename = n % 2 === 1;
      const name = `w${index}-${n}`;
      const started = performance.now();
      try {
        const response = await fetch(`${url}/api/v1/session-templates/${id}`, {
          method: rename ? 'PUT' : 'GET',
          headers,
          ...(rename ? { body: JSON.stringify({ name }) } : {}),
        });
        const body = (await response.json()) as { version?: number };
        outcomes.push({ started, ended: performance.now(), status: response.status, error: null });
        if (rename && response.status === 200) acknowledged.push({ id, version: body.version!, name });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        outcomes.push({
          started,
          ended: performance.now(),
          status: null,
          error: cause?.code ?? String(error),
        });
      }
    }
  };
  const workers = Array.from({ length: CONNECTIONS }, (_, index) => worker(index));
  return {
    outcomes,
    acknowledged,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

describe.runIf(runs)('rolling restarts behind HAProxy (PostgreSQL)', () => {
  let database: TestDatabase;
  const processes: ChildProcess[] = [];
  const env = { JWT_SECRET: randomBytes(24).toString('hex') } as Record<string, string>;
  let token = '';
  let templateIds: string[] = [];

  const start = async (port?: number): Promise<ServerProcess> => {
    const started = await startProcess({ ...env, DATABASE_URL: database.url! }, port);
    processes.push(started.child);
    return started;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    env.DATABASE_URL = database.url!;
  });
  afterAll(async () => {
    for (const child of processes) child.kill('SIGKILL');
    await database?.close();
  });

  async function seed(url: string) {
    const signup = await fetch(`${url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `rolling-${Date.now()}@example.com`,
        password: 'password123',
        organizationName: 'Rolling',
      }),
    }).then((r) => r.json() as Promise<{ accessToken: string }>);
    token = signup.accessToken;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const agent = await fetch(`${url}/api/v1/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Greeter', instructions: 'Hi' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    templateIds = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const template = await fetch(`${url}/api/v1/session-templates`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: `T${i}`, agentIds: [agent.id] }),
      }).then((r) => r.json() as Promise<{ id: string }>);
      templateIds.push(template.id);
    }
  }

  /** Every acknowledged rename is in the database: its revision, at its version, with its name. */
  async function expectAcknowledgedWrites(acknowledged: { id: string; version: number; name: string }[]) {
    const rows = rowsOf<{ resource_id: string; version: number; name: string }>(
      await database.db.execute(
        sql`select resource_id, version, snapshot->>'name' as name from revisions where resource_type = 'sessionTemplate'`,
      ),
    );
    const stored = new Set(rows.map((row) => `${row.resource_id}@${row.version}=${row.name}`));
    const missing = acknowledged.filter((write) => !stored.has(`${write.id}@${write.version}=${write.name}`));
    expect(missing).toEqual([]);
    // And each was recorded once: one revision per version.
    expect(new Set(rows.map((row) => `${row.resource_id}@${row.version}`)).size).toBe(rows.length);
  }

  it.each(['off', 'on'] as const)(
    "a rolling restart with the balancer's retries %s: zero failed requests, every acknowledged write kept",
    async (retries) => {
      let a = await start();
      let b = await start();
      await seed(a.url);
      const balancer = await startBalancer({ a: a.port, b: b.port }, retries);
      processes.push(balancer.child);
      const load = loadThrough(balancer.url, token, templateIds);
      const timings: Record<string, number> = {};
      try {
        await sleep(2_000);
        for (const name of ['a', 'b'] as const) {
          const instance = name === 'a' ? a : b;
          const signalled = performance.now();
          instance.child.kill('SIGTERM');
          const down = await until(balancer, name, 'DOWN');
          const { code, at } = await instance.exited;
          expect(code).toBe(0);
          timings[`${name}: SIGTERM → down at the balancer (ms)`] = Math.round(down - signalled);
          timings[`${name}: SIGTERM → exit (ms)`] = Math.round(at - signalled);
          const restarted = await start(instance.port);
          if (name === 'a') a = restarted;
          else b = restarted;
          await until(balancer, name, 'UP');
          await sleep(1_000);
        }
      } finally {
        await load.stop();
        balancer.child.kill('SIGTERM');
      }
      const failed = load.outcomes.filter((outcome) => outcome.status === null || outcome.status >= 300);
      console.log(
        JSON.stringify({ retries, requests: load.outcomes.length, failed: failed.length, ...timings }),
      );
      expect(load.outcomes.length).toBeGreaterThan(500);
      expect(failed.slice(0, 10)).toEqual([]);
      for (const [label, ms] of Object.entries(timings)) {
        // Down at the balancer before the listener closes: the drain covers the health checks.
        if (label.includes('down')) expect(ms, label).toBeLessThan(2_000);
        if (label.includes('exit')) expect(ms, label).toBeGreaterThanOrEqual(2_000);
      }
      await expectAcknowledgedWrites(load.acknowledged);
    },
    240_000,
  );

  it('a SIGKILL fails at most the requests in flight at that moment; every acknowledged write is kept', async () => {
    const a = await start();
    const b = await start();
    await seed(a.url);
    const balancer = await startBalancer({ a: a.port, b: b.port }, 'connection');
    processes.push(balancer.child);
    const load = loadThrough(balancer.url, token, templateIds);
    let killedAt = 0;
    let diedAt = 0;
    try {
      await sleep(2_000);
      killedAt = performance.now();
      a.child.kill('SIGKILL');
      // The process is gone when its exit is reported: until then its listening socket still
      // accepts connections into its backlog, and requests sent on them die with it.
      diedAt = (await a.exited).at;
      await until(balancer, 'a', 'DOWN');
      await sleep(2_000);
    } finally {
      await load.stop();
      balancer.child.kill('SIGTERM');
    }
    // In flight at the kill: sent before the process was gone (until its exit its socket still
    // takes connections into the backlog) and not answered before the kill.
    const inFlight = load.outcomes.filter(
      (outcome) => outcome.started <= diedAt && outcome.ended >= killedAt,
    );
    const failed = load.outcomes.filter((outcome) => outcome.status === null || outcome.status >= 300);
    console.log(
      JSON.stringify({
        retries: 'connection failures only',
        requests: load.outcomes.length,
        inFlightAtKill: inFlight.length,
        failed: failed.length,
        killToExitMs: Math.round(diedAt - killedAt),
        failedStartedAfterKillMs: failed.map((outcome) => Math.round(outcome.started - killedAt)),
      }),
    );
    expect(failed.length).toBeLessThanOrEqual(inFlight.length);
    // Only a request that had reached the killed instance fails: none sent after it was gone.
    expect(failed.filter((outcome) => outcome.started > diedAt)).toEqual([]);
    expect(load.outcomes.filter((outcome) => outcome.started > killedAt + 100).length).toBeGreaterThan(100);
    await expectAcknowledgedWrites(load.acknowledged);
  }, 240_000);
});
