/**
 * Change events under load (issue 24's benchmarks), against one running server on PostgreSQL:
 * - webhook deliveries per second to a local receiver that answers 204 at once;
 * - 1,000 open SSE streams in one organization: the time from a change's commit (its answer) to its
 *   event on every stream, and the server's RSS while they are open;
 * - writes (renames) with a subscribed endpoint against the same writes without one.
 * The server must run with EVENT_STREAMS_PER_ORGANIZATION ≥ the streams opened and
 * WEBHOOK_ALLOW_PRIVATE=1 (the receiver is on 127.0.0.1).
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import postgres from 'postgres';
import { type LoadResult, load, rssMb } from './load';
import { seedThroughApi } from './seed';

export interface EventsResult {
  /** A backlog of `events` deliveries drained in `drainedMs`. */
  deliveries: { events: number; perSecond: number; drainedMs: number };
  streams: {
    open: number;
    changes: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    missed: number;
    peakRssMb: number;
  };
  writes: { without: LoadResult; with: LoadResult; deliveredDuringRun: number };
  /** A fast endpoint's delivery latency alone, and while another organization's endpoints hang. */
  neighbours: { hanging: number; baselineP50Ms: number; withNeighboursP50Ms: number; ratio: number };
  /** Open streams of which some never read, on an organization with a large backlog of events. */
  stalled: {
    open: number;
    neverReading: number;
    backlogMb: number;
    p99Ms: number;
    missed: number;
    peakRssMb: number;
    endedWithRetry: number;
  };
}

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * A receiver on 127.0.0.1 that answers every delivery 204 and notes when it answered each; while
 * `hold` is on it keeps them waiting (so a backlog builds), and `release` answers them all.
 */
async function receiver() {
  const answered: number[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        answered.push(performance.now());
        res.writeHead(204).end();
      };
      if (hold) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    answered,
    hold: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      for (const answer of held.splice(0)) answer();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs `count` calls of `task`, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function waitUntil(test: () => boolean, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!test() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * How fast a backlog of deliveries drains: `events` agent creations (32 at a time) while the
 * receiver holds the first attempts unanswered, so nearly all of them wait as due deliveries; then
 * the receiver answers, and the rate is every delivery over the time from then to the last one.
 */
async function deliveries(url: string, events: number) {
  const seeded = await seedThroughApi(url, 0);
  const hook = await receiver();
  try {
    await call(url, seeded.token, 'POST', '/api/v1/webhooks', { url: hook.url, eventTypes: ['agent.*'] });
    hook.hold();
    await inParallel(events, 32, (i) =>
      call(url, seeded.token, 'POST', '/api/v1/agents', { name: `Delivered ${i}`, instructions: 'Hi.' }),
    );
    const released = performance.now();
    hook.release();
    await waitUntil(() => hook.answered.length >= events, 120_000);
    const drainedMs = Math.max(1, (hook.answered.at(-1) ?? released) - released);
    const perSecond = Math.round((hook.answered.length * 1000) / drainedMs);
    console.log(
      `  events   ${hook.answered.length}/${events} deliveries from a backlog in ${Math.round(drainedMs)} ms: ${perSecond}/s`,
    );
    return { events: hook.answered.length, perSecond, drainedMs: Math.round(drainedMs) };
  } finally {
    hook.close();
  }
}

/** One open SSE stream: the arrival time of each event it receives, in order. */
function openStream(url: string, token: string): Promise<{ arrivals: number[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const arrivals: number[] = [];
    const req = httpRequest(
      `${url}/api/v1/events`,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          reject(new Error(`stream refused: ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (/^id: \d+$/m.test(block)) arrivals.push(performance.now());
            cut = buffer.indexOf('\n\n');
          }
        });
        res.on('error', () => {});
        resolve({ arrivals, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0;

/**
 * `open` streams of one organization, then `changes` renames one after another: for each, the time
 * from the rename's answer to its event on each stream.
 */
async function streams(url: string, pid: number, open: number, changes: number) {
  const seeded = await seedThroughApi(url, 1);
  const opened: Awaited<ReturnType<typeof openStream>>[] = [];
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  try {
    await inParallel(open, 50, async () => {
      opened.push(await openStream(url, seeded.token));
    });
    const latencies: number[] = [];
    let missed = 0;
    for (let change = 0; change < changes; change++) {
      // Measured from the moment the rename is sent: it includes the rename itself.
      const sent = performance.now();
      await call(url, seeded.token, 'PUT', `/api/v1/session-templates/${seeded.templateIds[0]}`, {
        name: `Streamed ${change}`,
      });
      await waitUntil(() => opened.every((stream) => stream.arrivals.length > change), 5_000);
      for (const stream of opened) {
        const at = stream.arrivals[change];
        if (at === undefined) missed++;
        else latencies.push(at - sent);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    latencies.sort((a, b) => a - b);
    const result = {
      open,
      changes,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(latencies.at(-1) ?? 0),
      missed,
      peakRssMb: Math.round(Math.max(peak, rssMb(pid))),
    };
    console.log(
      `  events   ${open} streams, ${changes} changes: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, missed ${missed}, rss ${result.peakRssMb} MB`,
    );
    return result;
  } finally {
    clearInterval(sampler);
    for (const stream of opened) stream.close();
  }
}

/**
 * The same renames in two organizations of the same size, one with an endpoint subscribed to every
 * event (its deliveries run on the same server meanwhile) and one without.
 */
async function writes(url: string, pid: number, options: { durationSeconds: number; warmupSeconds: number }) {
  const rename = async (subscribed: boolean) => {
    const seeded = await seedThroughApi(url, 200);
    const hook = subscribed ? await receiver() : null;
    try {
      if (hook)
        await call(url, seeded.token, 'POST', '/api/v1/webhooks', { url: hook.url, eventTypes: ['*'] });
      const result = await load({
        url,
        connections: 32,
        ...options,
        token: seeded.token,
        pid,
        request: (i) => ({
          method: 'PUT',
          path: `/api/v1/session-templates/${seeded.templateIds[i % seeded.templateIds.length]}`,
          body: { name: `Renamed ${i}` },
        }),
      });
      return { result, delivered: hook?.answered.length ?? 0 };
    } finally {
      hook?.close();
    }
  };
  // Without, with, with, without: the database grows as the runs go, so each figure is the mean of
  // two runs placed symmetrically in time.
  const runs = [await rename(false), await rename(true), await rename(true), await rename(false)];
  const mean = (pair: { result: LoadResult }[]): LoadResult => {
    const average = (pick: (result: LoadResult) => number) =>
      Math.round((pick(pair[0]!.result) + pick(pair[1]!.result)) / 2);
    return {
      requestsPerSecond: average((result) => result.requestsPerSecond),
      p50: average((result) => result.p50),
      p99: average((result) => result.p99),
      non2xx: pair[0]!.result.non2xx + pair[1]!.result.non2xx,
      errors: pair[0]!.result.errors + pair[1]!.result.errors,
      peakRssMb: Math.max(pair[0]!.result.peakRssMb, pair[1]!.result.peakRssMb),
    };
  };
  const without = mean([runs[0]!, runs[3]!]);
  const subscribed = {
    result: mean([runs[1]!, runs[2]!]),
    delivered: runs[1]!.delivered + runs[2]!.delivered,
  };
  console.log(
    `  events   renames without an endpoint ${runs[0]!.result.requestsPerSecond} and ${runs[3]!.result.requestsPerSecond} req/s, with one ${runs[1]!.result.requestsPerSecond} and ${runs[2]!.result.requestsPerSecond} req/s (${subscribed.delivered} delivered meanwhile)`,
  );
  return { without, with: subscribed.result, deliveredDuringRun: subscribed.delivered };
}

/** An endpoint that reads each delivery and never answers (its attempts run into their deadline). */
async function hangingReceiver() {
  const sockets = new Set<Socket>();
  const server = createServer((req) => req.resume());
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hang`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A fast endpoint's delivery latency (from the change's request to the receiver's answer), over
 * `samples` changes one after another: alone, then while another organization writes 10 changes a
 * second to `hanging` endpoints that never answer.
 */
async function neighbours(url: string, hanging: number, samples: number) {
  const victim = await seedThroughApi(url, 0);
  const fast = await receiver();
  const attacker = await seedThroughApi(url, 0);
  const stuck = await hangingReceiver();
  let writing = true;
  try {
    await call(url, victim.token, 'POST', '/api/v1/webhooks', { url: fast.url, eventTypes: ['agent.*'] });
    const p50 = async (label: string) => {
      const latencies: number[] = [];
      for (let i = 0; i < samples; i++) {
        const sent = performance.now();
        const before = fast.answered.length;
        await call(url, victim.token, 'POST', '/api/v1/agents', {
          name: `${label} ${i}`,
          instructions: 'Hi.',
        });
        await waitUntil(() => fast.answered.length > before, 30_000);
        latencies.push((fast.answered[before] ?? performance.now()) - sent);
      }
      return percentile(
        latencies.sort((a, b) => a - b),
        50,
      );
    };
    const baseline = await p50('Alone');
    for (let i = 0; i < hanging; i++) {
      await call(url, attacker.token, 'POST', '/api/v1/webhooks', {
        url: `${stuck.url}?n=${i}`,
        eventTypes: ['*'],
      });
    }
    const noise = (async () => {
      for (let i = 0; writing; i++) {
        await call(url, attacker.token, 'POST', '/api/v1/agents', {
          name: `Noise ${i}`,
          instructions: 'Hi.',
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const crowded = await p50('Crowded');
    writing = false;
    await noise;
    const result = {
      hanging,
      baselineP50Ms: Math.round(baseline),
      withNeighboursP50Ms: Math.round(crowded),
      ratio: Number((crowded / Math.max(baseline, 1)).toFixed(2)),
    };
    console.log(
      `  events   a fast endpoint's p50: ${result.baselineP50Ms} ms alone, ${result.withNeighboursP50Ms} ms while ${hanging} endpoints of another organization hang (${result.ratio}×)`,
    );
    return result;
  } finally {
    writing = false;
    await fast.close();
    await stuck.close();
  }
}

/**
 * `open` streams of one organization whose backlog is about `backlogMb` of events, `neverReading`
 * of them resuming from the start and never reading: the server's peak RSS, the reading streams'
 * latency over 10 changes, and how many of the stalled ones the server ended with `retry:`.
 */
async function stalled(
  url: string,
  pid: number,
  databaseUrl: string,
  open: number,
  neverReading: number,
  backlogMb: number,
) {
  const seeded = await seedThroughApi(url, 1);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const events = Math.round((backlogMb * 1024 * 1024) / 1000);
  try {
    const [org] = await sql<
      { id: string }[]
    >`select organization_id as id from session_templates where id = ${seeded.templateIds[0]!}`;
    await sql`insert into audit_events (organization_id, actor_type, actor_name, action, resource_type, resource_id,
        resource_name, request_id)
      select ${org!.id}::uuid, 'system', 'backlog', 'agent.updated', 'agent', gen_random_uuid(), repeat('x', 640) || n, 'backlog'
      from generate_series(1, ${events}::int) as n`;
    for (;;) {
      const [left] = await sql<
        { n: number }[]
      >`select count(*)::int as n from audit_events where sequence is null`;
      if (left!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await sql.end();
  }
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  const port = Number(new URL(url).port);
  const sockets: { socket: Socket; text: () => string }[] = [];
  const reading: Awaited<ReturnType<typeof openStream>>[] = [];
  try {
    for (let i = 0; i < neverReading; i++) {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write(
        `GET /api/v1/events?after=0 HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${seeded.token}\r\n\r\n`,
      );
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      sockets.push({ socket, text: () => Buffer.concat(chunks).toString('utf8') });
    }
    await inParallel(open - neverReading, 50, async () => {
      reading.push(await openStream(url, seeded.token));
    });
    const latencies: number[] = [];
    let missed = 0;
    for (let change = 0; change < 10; change++) {
      const sent = performance.now();
      await call(url, seeded.token, 'PUT', `/api/v1/session-templates/${seeded.templateIds[0]}`, {
        name: `Stalled ${change}`,
      });
      await waitUntil(() => reading.every((stream) => stream.arrivals.length > change), 5_000);
      for (const stream of reading) {
        const at = stream.arrivals[change];
        if (at === undefined) missed++;
        else latencies.push(at - sent);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // The stalled ones: read what the server sent them, and see whether it ended them with a retry hint.
    for (const { socket } of sockets) socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const endedWithRetry = sockets.filter(({ text }) => text().includes('retry: 1000')).length;
    latencies.sort((a, b) => a - b);
    const result = {
      open,
      neverReading,
      backlogMb,
      p99Ms: Math.round(percentile(latencies, 99)),
      missed,
      peakRssMb: Math.round(Math.max(peak, rssMb(pid))),
      endedWithRetry,
    };
    console.log(
      `  events   ${open} streams (${neverReading} never reading from a ${backlogMb} MB backlog): reading p99 ${result.p99Ms} ms, missed ${missed}, peak rss ${result.peakRssMb} MB, ${endedWithRetry}/${neverReading} stalled ones ended with retry`,
    );
    return result;
  } finally {
    clearInterval(sampler);
    for (const stream of reading) stream.close();
    for (const { socket } of sockets) socket.destroy();
  }
}

export async function eventsBench(
  url: string,
  pid: number,
  options: { durationSeconds: number; warmupSeconds: number; streams: number; databaseUrl: string },
): Promise<EventsResult> {
  return {
    deliveries: await deliveries(url, 3_000),
    streams: await streams(url, pid, options.streams, 10),
    neighbours: await neighbours(url, 10, 20),
    stalled: await stalled(
      url,
      pid,
      options.databaseUrl,
      options.streams,
      Math.round(options.streams / 10),
      50,
    ),
    writes: await writes(url, pid, options),
  };
}
