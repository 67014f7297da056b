import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** docs/api.md: at most 100 open streams per organization, across every instance. */
const STREAMS_PER_ORGANIZATION = 100;

import {
  caller,
  createTenant,
  driverName,
  expectError,
  holdAgentLock,
  http,
  rowsOf,
  startServer,
  type Tenant,
  type TestServer,
} from './server';

/** Change events: numbered in the order they become visible, and streamed live (docs/api.md "Change events"). */
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

interface Message {
  id: number;
  event: string;
  data: { action: string; sequence: number; resource: { type: string; name: string } };
}

/** An open `GET /api/v1/events`, its messages parsed as they arrive. */
async function openStream(
  target: TestServer,
  token: string,
  options: { headers?: Record<string, string>; query?: string } = {},
) {
  const controller = new AbortController();
  const response = await fetch(`${target.url}/api/v1/events${options.query ?? ''}`, {
    headers: { authorization: `Bearer ${token}`, ...options.headers },
    signal: controller.signal,
  });
  const messages: Message[] = [];
  const comments: string[] = [];
  let ended = false;
  if (response.ok && response.body) {
    void (async () => {
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const fields = Object.fromEntries(
              block
                .split('\n')
                .filter((line) => !line.startsWith(':'))
                .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
            );
            if (block.startsWith(':')) comments.push(block);
            else
              messages.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data!) });
            cut = buffer.indexOf('\n\n');
          }
        }
      } catch {}
      ended = true;
    })();
  }
  const waitFor = async (test: () => boolean, timeoutMs = 1_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline)
        throw new Error(`timed out; messages: ${JSON.stringify(messages.map((m) => [m.id, m.event]))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { response, messages, comments, ended: () => ended, close: () => controller.abort(), waitFor };
}

async function createAgents(tenant: Tenant, count: number, prefix = 'Agent') {
  const admin = caller(server, 'rest', tenant.adminToken);
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      admin('agents.create', { name: `${prefix} ${i}`, instructions: 'i' }),
    ),
  );
}

describe(`change events on ${driverName}`, () => {
  it('a change reaches an open stream within a second, with its sequence, type and event', async () => {
    const tenant = await createTenant(server, 'Stream');
    const stream = await openStream(server, tenant.adminToken);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const began = Date.now();
    const created = await caller(
      server,
      'rest',
      tenant.adminToken,
    )('agents.create', { name: 'Live', instructions: 'i' });
    expect(created.status).toBe(201);
    await stream.waitFor(() => stream.messages.length === 1);
    expect(Date.now() - began).toBeLessThan(1_000);
    const [message] = stream.messages;
    expect(message!.event).toBe('agent.created');
    expect(message!.data).toMatchObject({
      action: 'agent.created',
      resource: { type: 'agent', name: 'Live' },
    });
    expect(message!.id).toBe(message!.data.sequence);
    stream.close();
  });

  it('20 concurrent writes get 20 distinct sequences, and a resumed stream sees them all in order', async () => {
    const tenant = await createTenant(server, 'Concurrent');
    const before = await caller(server, 'rest', tenant.adminToken)('audit.list', { limit: 1 });
    const start = before.body.items[0].sequence as number;
    const answers = await createAgents(tenant, 20);
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(201));
    const listed = await caller(server, 'rest', tenant.adminToken)('audit.list', { limit: 20 });
    // The log lists in the order events were written; sequences follow the order they became visible.
    const sequences = (listed.body.items as { sequence: number }[])
      .map((event) => event.sequence)
      .sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 20 }, (_, i) => start + 1 + i));

    for (const resume of [{ headers: { 'last-event-id': String(start) } }, { query: `?after=${start}` }]) {
      const stream = await openStream(server, tenant.adminToken, resume);
      await stream.waitFor(() => stream.messages.length === 20);
      expect(stream.messages.map((message) => message.id)).toEqual(sequences);
      expect(new Set(stream.messages.map((message) => message.data.resource.name)).size).toBe(20);
      stream.close();
    }
    const middle = await openStream(server, tenant.adminToken, { query: `?after=${sequences[9]}` });
    await middle.waitFor(() => middle.messages.length === 10);
    expect(middle.messages.map((message) => message.id)).toEqual(sequences.slice(10));
    middle.close();
  });

  it('no event for a refused or rolled-back change', async () => {
    const tenant = await createTenant(server, 'Refused');
    const admin = caller(server, 'rest', tenant.adminToken);
    const stream = await openStream(server, tenant.adminToken);
    const [agent] = await createAgents(tenant, 1);
    await stream.waitFor(() => stream.messages.length === 1);
    // Refused by a rule: the template's agent does not provide the panel.
    expectError(
      await admin('sessionTemplates.create', {
        name: 'Bad',
        agentIds: [agent!.body.id],
        enabledPanels: ['whiteboard'],
      }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await admin('agents.update', { id: agent!.body.id, name: 'x', version: 99 }),
      409,
      'CONFLICT',
    );
    await admin('agents.create', { name: 'After', instructions: 'i' });
    await stream.waitFor(() => stream.messages.length === 2);
    expect(stream.messages.map((message) => message.event)).toEqual(['agent.created', 'agent.created']);
    expect(stream.messages[1]!.id).toBe(stream.messages[0]!.id + 1);
    stream.close();
  });

  it('members and keys get agent, template and deployment events; admins get every event', async () => {
    const tenant = await createTenant(server, 'Roles');
    const admin = caller(server, 'rest', tenant.adminToken);
    const key = await admin('apiKeys.create', { name: 'Reader', scope: 'read' });
    const streams = [
      await openStream(server, tenant.adminToken),
      await openStream(server, tenant.memberToken),
      await openStream(server, key.body.secret),
    ];
    await admin('apiKeys.create', { name: 'Another', scope: 'read' });
    await admin('agents.create', { name: 'Seen by all', instructions: 'i' });
    await streams[0]!.waitFor(() => streams[0]!.messages.length === 2);
    for (const stream of streams.slice(1)) await stream.waitFor(() => stream.messages.length === 1);
    expect(streams[0]!.messages.map((message) => message.event)).toEqual(['apiKey.created', 'agent.created']);
    for (const stream of streams.slice(1)) {
      expect(stream.messages.map((message) => message.event)).toEqual(['agent.created']);
    }
    for (const stream of streams) stream.close();
  });

  it('refuses no token, a bad resume point and a 101st stream; a revoked key ends its stream', async () => {
    const tenant = await createTenant(server, 'Limits');
    expectError(await http(server, 'GET', '/api/v1/events'), 401, 'UNAUTHORIZED');
    expectError(
      await http(server, 'GET', '/api/v1/events?after=-1', { token: tenant.adminToken }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await http(server, 'GET', '/api/v1/events', {
        token: tenant.adminToken,
        headers: { 'last-event-id': 'x' },
      }),
      400,
      'BAD_REQUEST',
    );
    const admin = caller(server, 'rest', tenant.adminToken);
    const key = await admin('apiKeys.create', { name: 'Soon revoked', scope: 'read' });
    const keyStream = await openStream(server, key.body.secret);
    const streams = [keyStream];
    for (let i = 1; i < STREAMS_PER_ORGANIZATION; i++)
      streams.push(await openStream(server, tenant.memberToken));
    expect(streams.every((stream) => stream.response.status === 200)).toBe(true);
    const refused = await openStream(server, tenant.adminToken);
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toBe('5');
    expect(((await refused.response.json()) as { error: { code: string } }).error.code).toBe(
      'TOO_MANY_REQUESTS',
    );
    // Another organization has its own 100.
    const other = await createTenant(server, 'Other');
    const theirs = await openStream(server, other.adminToken);
    expect(theirs.response.status).toBe(200);
    theirs.close();

    expect((await admin('apiKeys.revoke', { id: key.body.apiKey.id })).status).toBe(204);
    await keyStream.waitFor(() => keyStream.ended(), 2_500);
    const next = await openStream(server, tenant.adminToken);
    expect(next.response.status).toBe(200);
    for (const stream of [...streams, next]) stream.close();
  });
});

describe(`the tRPC subscription on ${driverName}`, () => {
  /** The text of an SSE response until `enough` says so, or 3 s pass (the request is then aborted). */
  async function readUntil(url: string, token: string | null, enough: (text: string) => boolean) {
    const signal = AbortSignal.timeout(3_000);
    const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    try {
      while (!enough(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Timed out: the caller's expectations say what was missing.
    }
    await reader.cancel().catch(() => {});
    return text;
  }
  const subscription = (input: object) =>
    `${server.url}/trpc/events.onChange?input=${encodeURIComponent(JSON.stringify(input))}`;

  it('a change made as soon as the subscription says it started is delivered (from now, ten times over)', async () => {
    const tenant = await createTenant(server, 'From now');
    const admin = caller(server, 'rest', tenant.adminToken);
    for (let i = 0; i < 10; i++) {
      const name = `Started ${i}`;
      let started: () => void = () => {};
      const connected = new Promise<void>((resolve) => {
        started = resolve;
      });
      // tRPC's `connected` event is what the client's `onStarted` waits for.
      const reading = readUntil(subscription({}), tenant.adminToken, (text) => {
        if (text.includes('event: connected')) started();
        return text.includes(`"${name}"`);
      });
      await connected;
      await admin('agents.create', { name, instructions: 'i' });
      expect(await reading, name).toContain(`"${name}"`);
    }
  });

  it('events.onChange streams the same events over SSE, tracked by sequence, and resumes after lastEventId', async () => {
    const tenant = await createTenant(server, 'Subscription');
    const admin = caller(server, 'rest', tenant.adminToken);
    // Resuming from a known point (the newest event), so the change below cannot fall before it.
    const newest = (await admin('audit.list', { limit: 1 })).body.items[0].sequence as number;
    const reading = readUntil(subscription({ lastEventId: String(newest) }), tenant.adminToken, (text) =>
      text.includes('Subscribed'),
    );
    await admin('agents.create', { name: 'Subscribed', instructions: 'i' });
    const text = await reading;
    // tRPC writes the data, then the id.
    const message = /data: (.*)\nid: (\d+)\n/.exec(text);
    expect(message, text).not.toBeNull();
    const event = JSON.parse(message![1]!) as { sequence: number; action: string };
    expect(event).toMatchObject({ action: 'agent.created', sequence: newest + 1 });
    expect(Number(message![2])).toBe(event.sequence);

    await admin('agents.create', { name: 'After', instructions: 'i' });
    const after = await readUntil(
      subscription({ lastEventId: String(event.sequence) }),
      tenant.adminToken,
      (text) => text.includes('After'),
    );
    expect(after).toContain('"After"');
    expect(after).not.toContain('"Subscribed"');
    // Over SSE tRPC sends the refusal as the stream's error event.
    const refused = await readUntil(subscription({}), null, (text) => text.includes('UNAUTHORIZED'));
    expect(refused).toContain('event: serialized-error');
    expect(refused).toContain('UNAUTHORIZED');
  });
});

describe.runIf(driverName === 'PostgreSQL')('change events across instances (PostgreSQL)', () => {
  it('an event committed after a later-numbered one began is never skipped, and never holds the other back', async () => {
    const tenant = await createTenant(server, 'Visibility');
    const admin = caller(server, 'rest', tenant.adminToken);
    const [agent] = await createAgents(tenant, 1, 'Slow');
    const stream = await openStream(server, tenant.adminToken);
    // A rename that begins first and commits last: it holds the agent's row while it waits.
    const lock = await holdAgentLock(server.database.url!, agent!.body.id);
    const slow = admin('agents.update', { id: agent!.body.id, name: 'Slow, renamed' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A later change commits while the slow rename's transaction still runs: it is streamed at once.
    const began = Date.now();
    const fast = await admin('agents.create', { name: 'Fast', instructions: 'i' });
    expect(fast.status).toBe(201);
    await stream.waitFor(() => stream.messages.length === 1, 1_000);
    expect(Date.now() - began).toBeLessThan(1_000);
    await lock.release();
    expect((await slow).status).toBe(200);
    // The rename that committed last has the next number: a stream resumed after "Fast" gets it.
    await stream.waitFor(() => stream.messages.length === 2);
    expect(stream.messages.map((message) => [message.event, message.data.resource.name])).toEqual([
      ['agent.created', 'Fast'],
      ['agent.updated', 'Slow, renamed'],
    ]);
    expect(stream.messages[1]!.id).toBe(stream.messages[0]!.id + 1);
    stream.close();
  });

  it('a psql left in a transaction, in another database of the server, holds no event back', async () => {
    const url = new URL(server.database.url!);
    // `psql` in the server's maintenance database, holding a transaction id and then idle in it.
    const application = `switchboard-foreign-${Date.now()}`;
    const psql = spawn(
      'psql',
      [
        '-X',
        '-q',
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        decodeURIComponent(url.username) || 'postgres',
        '-d',
        'postgres',
      ],
      { env: { ...process.env, PGAPPNAME: application }, stdio: ['pipe', 'ignore', 'inherit'] },
    );
    try {
      psql.stdin.write('begin;\ncreate temporary table held (i int);\ninsert into held values (1);\n');
      const watcher = postgres(server.database.url!, { max: 1, onnotice: () => {} });
      try {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const [row] = await watcher`select count(*)::int as n from pg_stat_activity
            where application_name = ${application} and backend_xid is not null and state = 'idle in transaction'`;
          if (row!.n === 1) break;
          if (Date.now() > deadline) throw new Error('psql never held a transaction');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await watcher.end();
      }
      const tenant = await createTenant(server, 'Foreign transaction');
      const stream = await openStream(server, tenant.adminToken);
      const began = Date.now();
      const created = await caller(
        server,
        'rest',
        tenant.adminToken,
      )('agents.create', { name: 'Not held', instructions: 'i' });
      expect(created.status).toBe(201);
      await stream.waitFor(() => stream.messages.length === 1, 1_000);
      expect(Date.now() - began).toBeLessThan(1_000);
      expect(stream.messages[0]!.data.resource.name).toBe('Not held');
      stream.close();
    } finally {
      psql.stdin.end('rollback;\n');
      psql.kill();
    }
  });

  it('an event made through one instance reaches a stream on the other within a second', async () => {
    const second = await startServer({ database: server.database });
    try {
      const tenant = await createTenant(server, 'Two instances');
      const stream = await openStream(second, tenant.adminToken);
      const began = Date.now();
      await caller(server, 'rest', tenant.adminToken)('agents.create', { name: 'Across', instructions: 'i' });
      await stream.waitFor(() => stream.messages.length === 1, 1_000);
      expect(Date.now() - began).toBeLessThan(1_000);
      expect(stream.messages[0]!.data.resource.name).toBe('Across');
      stream.close();
    } finally {
      await second.close();
    }
  });

  it('the cap of 100 open streams counts the streams of every instance, and a closed instance gives its places back', async () => {
    const second = await startServer({ database: server.database });
    try {
      const tenant = await createTenant(server, 'Cap across instances');
      const onFirst = [];
      for (let i = 0; i < 60; i++) onFirst.push(await openStream(server, tenant.memberToken));
      const onSecond = [];
      for (let i = 0; i < 40; i++) onSecond.push(await openStream(second, tenant.memberToken));
      expect([...onFirst, ...onSecond].map((stream) => stream.response.status)).toEqual(Array(100).fill(200));
      // Concurrent 101st attempts on both instances: every one is refused.
      const refused = await Promise.all([
        openStream(second, tenant.adminToken),
        openStream(server, tenant.adminToken),
        openStream(second, tenant.adminToken),
      ]);
      expect(refused.map((stream) => stream.response.status)).toEqual([429, 429, 429]);
      // One stream on the first instance ends: the second admits one, and only one.
      onFirst.pop()!.close();
      const deadline = Date.now() + 2_000;
      let admitted = await openStream(second, tenant.adminToken);
      while (admitted.response.status === 429 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        admitted = await openStream(second, tenant.adminToken);
      }
      expect(admitted.response.status).toBe(200);
      expect((await openStream(second, tenant.adminToken)).response.status).toBe(429);
      // The second instance closes: its 41 places are free at once.
      await second.close();
      const after = [];
      for (let i = 0; i < 41; i++) after.push(await openStream(server, tenant.memberToken));
      expect(after.map((stream) => stream.response.status)).toEqual(Array(41).fill(200));
      expect((await openStream(server, tenant.adminToken)).response.status).toBe(429);
      for (const stream of [...onFirst, ...after]) stream.close();
    } finally {
      await second.close().catch(() => {});
    }
  });
});

describe(`streams that nothing slows, on ${driverName}`, () => {
  it('a client that never reads holds one page on the server, and is ended with a retry hint', async () => {
    const stalling = await startServer({ config: { eventStreamStallMs: 500 } });
    try {
      const tenant = await createTenant(stalling, 'Never reads');
      // A backlog far larger than the kernel's socket buffers: 30,000 events of about 1 KB.
      await stalling.database.db.execute(sql`
        insert into audit_events (organization_id, actor_type, actor_name, action, resource_type, resource_id,
          resource_name, request_id)
        select ${tenant.organizationId}::uuid, 'system', 'backlog', 'agent.updated', 'agent', gen_random_uuid(),
          repeat('x', 800) || n, 'backlog'
        from generate_series(1, 30000) as n`);
      const deadline = Date.now() + 60_000;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const [row] = rowsOf<{ left: number }>(
          await stalling.database.db.execute(
            sql`select count(*)::int as left from audit_events where sequence is null`,
          ),
        );
        if (row!.left === 0) break;
        if (Date.now() > deadline) throw new Error('the backlog was never numbered');
      }
      const socket = connect(Number(new URL(stalling.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause(); // never reads, until the server has given up on it
      socket.write(
        `GET /api/v1/events?after=0 HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${tenant.adminToken}\r\n\r\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const chunks: Buffer[] = [];
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.resume();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      const text = Buffer.concat(chunks).toString('utf8');
      expect(socket.destroyed || socket.readableEnded, 'the server ended the stream').toBe(true);
      // The last thing it says (inside HTTP's chunked framing) is when to come back.
      expect(text.lastIndexOf('retry: 1000\n\n')).toBeGreaterThan(text.lastIndexOf('\nid: '));
      const sent = text.split('\nevent: agent.updated\n').length - 1;
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThan(30_000);
      // The client resumes where it stopped, and the server reads it the rest.
      const last = [...text.matchAll(/^id: (\d+)$/gm)].at(-1)![1];
      const resumed = await fetch(`${stalling.url}/api/v1/events`, {
        headers: { authorization: `Bearer ${tenant.adminToken}`, 'last-event-id': last! },
        signal: AbortSignal.timeout(5_000),
      });
      const reader = resumed.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(first).toMatch(/: connected|id: /);
    } finally {
      await stalling.close();
    }
  });

  it("a demoted admin's open streams (SSE and tRPC) stop carrying admin-only events", async () => {
    const tenant = await createTenant(server, 'Demoted');
    const admin = caller(server, 'rest', tenant.adminToken);
    const email = `second-admin-${Date.now()}@example.com`;
    const added = await admin('organization.addMember', { email, password: 'password123', role: 'admin' });
    const login = await http(server, 'POST', '/api/v1/auth/login', {
      body: { email, password: 'password123' },
    });
    const token = login.body.accessToken as string;
    const newest = (await admin('audit.list', { limit: 1 })).body.items[0].sequence as number;
    const sse = await openStream(server, token, { query: `?after=${newest}` });
    const controller = new AbortController();
    const trpc = fetch(
      `${server.url}/trpc/events.onChange?input=${encodeURIComponent(JSON.stringify({ lastEventId: String(newest) }))}`,
      { headers: { authorization: `Bearer ${token}` }, signal: controller.signal },
    );
    // While an admin, they get admin-only events.
    await admin('apiKeys.create', { name: 'Seen while admin', scope: 'read' });
    await sse.waitFor(() => sse.messages.some((message) => message.event === 'apiKey.created'));
    expect((await admin('organization.updateMember', { id: added.body.id, role: 'member' })).status).toBe(
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const demotedAt = sse.messages.length;
    await admin('apiKeys.create', { name: 'Hidden after demotion', scope: 'read' });
    await admin('agents.create', { name: 'Seen by members', instructions: 'i' });
    await sse.waitFor(
      () => sse.messages.some((message) => message.data.resource.name === 'Seen by members'),
      2_000,
    );
    expect(sse.messages.slice(demotedAt).map((message) => message.event)).toEqual(['agent.created']);
    sse.close();
    const reader = (await trpc).body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = Date.now() + 3_000;
    while (!text.includes('Seen by members') && Date.now() < until) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect(text).toContain('Seen while admin');
    expect(text).toContain('Seen by members');
    expect(text).not.toContain('Hidden after demotion');
  });
});
