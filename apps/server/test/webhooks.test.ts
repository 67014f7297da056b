import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook as Verifier } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNonPublicAddress, signature } from '../src/features/webhooks/webhookHttp';
import {
  caller,
  createTenant,
  driverName,
  expectError,
  rowsOf,
  startServer,
  type Tenant,
  type TestServer,
} from './server';

/** Webhooks (docs/api.md "Change events"): signed deliveries, retries, the delivery log, the address guard. */
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local endpoint that records what it receives and answers what `respond` says. */
async function receiver(
  respond: (count: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 }),
) {
  const received: Received[] = [];
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const answer = respond(received.length);
      res.writeHead(answer.status, answer.headers ?? {}).end(`answer ${received.length}`);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

async function until(test: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function endpoint(tenant: Tenant, url: string, eventTypes: string[] = ['*']) {
  const created = await caller(server, 'rest', tenant.adminToken)('webhooks.create', { url, eventTypes });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { webhook: { id: string }; secret: string };
}

async function deliveries(tenant: Tenant, id: string) {
  const page = await caller(server, 'rest', tenant.adminToken)('webhooks.deliveries', { id });
  expect(page.status).toBe(200);
  return page.body.items as {
    id: string;
    type: string;
    status: string;
    attempts: { statusCode: number | null }[];
    sequence: number | null;
  }[];
}

describe('signing', () => {
  it('signs as Standard Webhooks does: the reference library produces and accepts the same signature', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    const timestamp = 1614265330;
    const ours = signature([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp, body);
    expect(ours).toBe(
      new Verifier(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(timestamp * 1000), body),
    );
    expect(ours).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('tells public addresses from the rest', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.1.2.3',
    ]) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isNonPublicAddress(address), address).toBe(false);
    }
  });
});

describe(`webhooks on ${driverName}`, () => {
  it('delivers a change with a signature a Standard Webhooks verifier accepts; the secret is shown once and stored encrypted', async () => {
    const tenant = await createTenant(server, 'Hooks');
    const target = await receiver();
    try {
      const { webhook, secret } = await endpoint(tenant, target.url, ['agent.*']);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const listed = await caller(server, 'rest', tenant.adminToken)('webhooks.list');
      expect(JSON.stringify(listed.body)).not.toContain(secret);
      const stored = rowsOf<{ text: string }>(
        await server.database.db.execute(sql`select row_to_json(w)::text as text from webhooks w`),
      );
      expect(stored.some((row) => row.text.includes(secret.slice(6)))).toBe(false);

      const admin = caller(server, 'rest', tenant.adminToken);
      await admin('sessionTemplates.list'); // no event
      const created = await admin('agents.create', { name: 'Hooked', instructions: 'i' });
      await until(() => target.received.length === 1, 5_000, 'the delivery');
      const [request] = target.received;
      const verified = new Verifier(secret).verify(
        request!.body,
        request!.headers as Record<string, string>,
      ) as {
        type: string;
        sequence: number;
        timestamp: string;
        data: { action: string; resource: { id: string } };
      };
      expect(verified.type).toBe('agent.created');
      expect(verified.data.resource.id).toBe(created.body.id);
      expect(verified.sequence).toEqual(expect.any(Number));
      expect(request!.headers['content-type']).toBe('application/json');
      // Only what the filter takes: a member change is no agent event.
      await admin('apiKeys.create', { name: 'k', scope: 'read' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(target.received).toHaveLength(1);
      await until(
        async () => (await deliveries(tenant, webhook.id))[0]?.status === 'delivered',
        2_000,
        'the log',
      );
      const [logged] = await deliveries(tenant, webhook.id);
      expect(logged).toMatchObject({
        type: 'agent.created',
        status: 'delivered',
        attempts: [{ statusCode: 200 }],
      });
    } finally {
      await target.close();
    }
  });

  it('retries with the same webhook-id until a 2xx, and logs every attempt', async () => {
    const tenant = await createTenant(server, 'Retries');
    const target = await receiver((count) => (count < 3 ? { status: 500 } : { status: 204 }));
    try {
      const { webhook } = await endpoint(tenant, target.url, ['agent.*']);
      await caller(
        server,
        'rest',
        tenant.adminToken,
      )('agents.create', { name: 'Retried', instructions: 'i' });
      await until(() => target.received.length === 3, 8_000, 'three attempts');
      expect(new Set(target.received.map((request) => request.headers['webhook-id'])).size).toBe(1);
      await until(
        async () => (await deliveries(tenant, webhook.id))[0]?.status === 'delivered',
        2_000,
        'delivered',
      );
      const [logged] = await deliveries(tenant, webhook.id);
      expect(logged!.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 500, 204]);
    } finally {
      await target.close();
    }
  });

  it('410 Gone disables the endpoint at once, with an audit event', async () => {
    const tenant = await createTenant(server, 'Gone');
    const target = await receiver(() => ({ status: 410 }));
    try {
      const { webhook } = await endpoint(tenant, target.url, ['agent.*']);
      await caller(server, 'rest', tenant.adminToken)('agents.create', { name: 'Gone', instructions: 'i' });
      await until(
        async () => {
          const listed = await caller(server, 'rest', tenant.adminToken)('webhooks.list');
          return listed.body.items[0].enabled === false;
        },
        5_000,
        'disabled',
      );
      const listed = await caller(server, 'rest', tenant.adminToken)('webhooks.list');
      expect(listed.body.items[0]).toMatchObject({ id: webhook.id, enabled: false, disabledReason: 'gone' });
      const events = await caller(
        server,
        'rest',
        tenant.adminToken,
      )('audit.list', { action: 'webhook.disabled' });
      expect(events.body.items).toHaveLength(1);
      expect(target.received).toHaveLength(1);
    } finally {
      await target.close();
    }
  });

  it('recover sends exactly the failed deliveries again', async () => {
    const tenant = await createTenant(server, 'Recover');
    let healthy = false;
    const target = await receiver(() => ({ status: healthy ? 200 : 503 }));
    try {
      const { webhook } = await endpoint(tenant, target.url, ['agent.created']);
      const since = new Date(Date.now() - 1000).toISOString();
      const admin = caller(server, 'rest', tenant.adminToken);
      await admin('agents.create', { name: 'One', instructions: 'i' });
      await admin('agents.create', { name: 'Two', instructions: 'i' });
      // The test schedule retries three times: four attempts each, then failed.
      await until(
        async () => {
          // Both queued (an empty list would pass "every"), and both out of retries.
          const items = await deliveries(tenant, webhook.id);
          return items.length === 2 && items.every((item) => item.status === 'failed');
        },
        10_000,
        'both failed',
      );
      expect(await deliveries(tenant, webhook.id)).toHaveLength(2);
      healthy = true;
      const test = await admin('webhooks.test', { id: webhook.id });
      expect(test.status).toBe(202);
      await until(async () =>
        (await deliveries(tenant, webhook.id)).some(
          (item) => item.type === 'webhook.test' && item.status === 'delivered',
        ),
      );
      const before = target.received.length;
      const recovered = await admin('webhooks.recover', { id: webhook.id, since });
      expect(recovered).toMatchObject({ status: 202, body: { count: 2 } });
      await until(() => target.received.length === before + 2, 5_000, 'the two again');
      const types = target.received
        .slice(before)
        .map((request) => JSON.parse(request.body).data.resource.name);
      expect(types.sort()).toEqual(['One', 'Two']);
      await until(async () =>
        (await deliveries(tenant, webhook.id)).every((item) => item.status === 'delivered'),
      );
    } finally {
      await target.close();
    }
  });

  it('a test event has no sequence; rotation signs with both secrets; retry sends one delivery again', async () => {
    const tenant = await createTenant(server, 'Test event');
    const target = await receiver();
    try {
      const { webhook, secret } = await endpoint(tenant, target.url, ['sessionTemplate.*']);
      const admin = caller(server, 'rest', tenant.adminToken);
      const queued = await admin('webhooks.test', { id: webhook.id });
      expect(queued.status).toBe(202);
      await until(() => target.received.length === 1);
      const event = new Verifier(secret).verify(
        target.received[0]!.body,
        target.received[0]!.headers as Record<string, string>,
      );
      expect(event).toMatchObject({ type: 'webhook.test', sequence: null, data: { webhookId: webhook.id } });

      const rotated = await admin('webhooks.rotateSecret', { id: webhook.id });
      expect(rotated.status).toBe(200);
      const next = rotated.body.secret as string;
      expect(next).not.toBe(secret);
      // The rotation is an audit event (and so a change event), which never carries the secret.
      const events = await admin('audit.list', { action: 'webhook.secretRotated' });
      expect(events.body.items).toEqual([
        expect.objectContaining({
          action: 'webhook.secretRotated',
          resource: expect.objectContaining({ id: webhook.id }),
        }),
      ]);
      expect(JSON.stringify(events.body)).not.toContain(next.slice(6));
      // Once its attempt is recorded (before that, a retry is 409 inFlight).
      await until(async () => (await deliveries(tenant, webhook.id))[0]?.status === 'delivered');
      expect(
        (await admin('webhooks.retry', { id: webhook.id, deliveryId: queued.body.deliveryId })).status,
      ).toBe(202);
      await until(() => target.received.length === 2);
      const again = target.received[1]!;
      expect(again.headers['webhook-id']).toBe(target.received[0]!.headers['webhook-id']);
      expect(String(again.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const key of [secret, next]) {
        expect(() =>
          new Verifier(key).verify(again.body, again.headers as Record<string, string>),
        ).not.toThrow();
      }
      expectError(
        await admin('webhooks.retry', { id: webhook.id, deliveryId: webhook.id }),
        404,
        'NOT_FOUND',
      );
    } finally {
      await target.close();
    }
  });

  it('refuses bad input, members and keys', async () => {
    const tenant = await createTenant(server, 'Refusals');
    const admin = caller(server, 'rest', tenant.adminToken);
    for (const body of [
      { url: 'ftp://example.com/x', eventTypes: ['*'] },
      { url: 'https://user:pass@example.com/x', eventTypes: ['*'] },
      { url: 'https://example.com/x', eventTypes: [] },
      { url: 'https://example.com/x', eventTypes: ['agent.exploded'] },
      { url: 'https://example.com/x', eventTypes: ['nothing.*'] },
    ]) {
      expectError(await admin('webhooks.create', body), 400, 'BAD_REQUEST');
    }
    const ok = await admin('webhooks.create', {
      url: 'https://example.com/x',
      eventTypes: ['agent.*', 'webhook.disabled'],
    });
    expect(ok.status).toBe(201);
    const key = await admin('apiKeys.create', { name: 'w', scope: 'write' });
    for (const token of [tenant.memberToken, key.body.secret]) {
      expectError(await caller(server, 'rest', token)('webhooks.list'), 403, 'FORBIDDEN');
    }
  });
});

describe(`failing endpoints on ${driverName}`, () => {
  it('an endpoint whose every attempt fails for WEBHOOK_DISABLE_AFTER is disabled, with an audit event', async () => {
    const quick = await startServer({ config: { webhookDisableAfterMs: 300 } });
    const target = await receiver(() => ({ status: 500 }));
    try {
      const tenant = await createTenant(quick, 'Failing');
      const admin = caller(quick, 'rest', tenant.adminToken);
      const created = await admin('webhooks.create', { url: target.url, eventTypes: ['agent.*'] });
      expect(created.status).toBe(201);
      await admin('agents.create', { name: 'Never heard', instructions: 'i' });
      await until(
        async () => (await admin('webhooks.list')).body.items[0].enabled === false,
        8_000,
        'disabled',
      );
      expect((await admin('webhooks.list')).body.items[0]).toMatchObject({
        enabled: false,
        disabledReason: 'failing',
      });
      const events = await admin('audit.list', { action: 'webhook.disabled' });
      expect(events.body.items).toHaveLength(1);
      // Enabled again by hand: the reason goes.
      const enabled = await admin('webhooks.update', { id: created.body.webhook.id, enabled: true });
      expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
    } finally {
      await target.close();
      await quick.close();
    }
  });
});

describe(`the address guard on ${driverName}`, () => {
  it('refuses loopback, private and link-local addresses and names resolving to one, unless WEBHOOK_ALLOW_PRIVATE=1', async () => {
    const guarded = await startServer({ config: { webhookAllowPrivate: false } });
    const target = await receiver();
    try {
      const tenant = await createTenant(guarded, 'Guarded');
      const admin = caller(guarded, 'rest', tenant.adminToken);
      for (const url of [
        'http://127.0.0.1/x',
        'http://10.0.0.1/x',
        'http://[::1]/x',
        'http://localhost:8080/x',
        'http://169.254.169.254/latest',
      ]) {
        const refused = expectError(
          await admin('webhooks.create', { url, eventTypes: ['*'] }),
          400,
          'BAD_REQUEST',
        );
        expect(refused.details.issues[0].path).toEqual(['url']);
      }
      // Checked again at every delivery: an endpoint that points at a loopback address (written
      // before the guard, say) gets no request, and the attempt says why.
      const created = await admin('webhooks.create', {
        url: 'https://93.184.216.34/hook',
        eventTypes: ['agent.*'],
      });
      expect(created.status).toBe(201);
      await guarded.database.db.execute(
        sql`update webhooks set url = ${target.url} where id = ${created.body.webhook.id}`,
      );
      await admin('agents.create', { name: 'Guarded', instructions: 'i' });
      const attempts = async () =>
        (await admin('webhooks.deliveries', { id: created.body.webhook.id })).body.items[0]?.attempts ?? [];
      await until(async () => (await attempts()).length > 0, 5_000, 'an attempt');
      expect((await attempts())[0]).toMatchObject({
        statusCode: null,
        error: expect.stringContaining('not a public address'),
      });
      expect(target.received).toHaveLength(0);
    } finally {
      await target.close();
      await guarded.close();
    }
    // The test servers allow them (their receivers are on loopback).
    const tenant = await createTenant(server, 'Allowed');
    expect(
      (
        await caller(
          server,
          'rest',
          tenant.adminToken,
        )('webhooks.create', { url: 'http://127.0.0.1/x', eventTypes: ['*'] })
      ).status,
    ).toBe(201);
  });
});

describe(`endpoints that never wait for each other, on ${driverName}`, () => {
  /** An endpoint that reads each request and answers after `delayMs` (or never: null). */
  async function slowReceiver(delayMs: number | null) {
    let count = 0;
    const sockets = new Set<import('node:net').Socket>();
    const http: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        count++;
        if (delayMs !== null) setTimeout(() => res.writeHead(200).end('late but fine'), delayMs);
      });
    });
    http.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/hook`,
      count: () => count,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          http.close(() => resolve());
        }),
    };
  }

  it("another organization's hanging endpoints do not delay this organization's deliveries", {
    timeout: 60_000,
  }, async () => {
    const attacker = await createTenant(server, 'Hangs');
    const victim = await createTenant(server, 'Waits');
    const hanging = await slowReceiver(null);
    const fast = await receiver();
    try {
      // More endpoints than an instance has places for their attempts: 40 × 16 > 512. Only the
      // organization's own share (64) may be held by them.
      for (let i = 0; i < 40; i++) await endpoint(attacker, `${hanging.url}?n=${i}`, ['agent.*']);
      await endpoint(victim, fast.url, ['agent.*']);
      const attackerAdmin = caller(server, 'rest', attacker.adminToken);
      // The attacker's endpoints fill with attempts that never end.
      for (let i = 0; i < 20; i++)
        await attackerAdmin('agents.create', { name: `Noise ${i}`, instructions: 'i' });
      await until(() => hanging.count() >= 40, 10_000, 'the hanging endpoints to be attempted');
      const victimAdmin = caller(server, 'rest', victim.adminToken);
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const began = Date.now();
        await victimAdmin('agents.create', { name: `Wanted ${i}`, instructions: 'i' });
        await until(() => fast.received.length === i + 1, 5_000, `delivery ${i}`);
        latencies.push(Date.now() - began);
      }
      latencies.sort((a, b) => a - b);
      expect(latencies[4], JSON.stringify(latencies)).toBeLessThan(1_000);
      expect(latencies[9], JSON.stringify(latencies)).toBeLessThan(3_000);
    } finally {
      await hanging.close();
      await fast.close();
    }
  });

  it('a receiver that answers 200 after 8 s is delivered once, with one attempt', {
    timeout: 30_000,
  }, async () => {
    const tenant = await createTenant(server, 'Slow receiver');
    const slow = await slowReceiver(8_000);
    try {
      const { webhook } = await endpoint(tenant, slow.url, ['agent.*']);
      await caller(
        server,
        'rest',
        tenant.adminToken,
      )('agents.create', { name: 'Patient', instructions: 'i' });
      await until(
        async () => (await deliveries(tenant, webhook.id))[0]?.status === 'delivered',
        15_000,
        'the delivery',
      );
      const [delivery] = await deliveries(tenant, webhook.id);
      expect(delivery!.attempts).toHaveLength(1);
      expect(delivery!.attempts[0]!.statusCode).toBe(200);
      expect(slow.count()).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('a retry of a delivery being attempted is 409 inFlight, and sends nothing twice', async () => {
    const tenant = await createTenant(server, 'In flight');
    const slow = await slowReceiver(1_500);
    try {
      const { webhook } = await endpoint(tenant, slow.url, ['agent.*']);
      const admin = caller(server, 'rest', tenant.adminToken);
      await admin('agents.create', { name: 'Retried', instructions: 'i' });
      await until(() => slow.count() === 1, 5_000, 'the first attempt');
      const [delivery] = await deliveries(tenant, webhook.id);
      const refused = await Promise.all(
        [1, 2, 3].map(() => admin('webhooks.retry', { id: webhook.id, deliveryId: delivery!.id })),
      );
      for (const response of refused) {
        expect(expectError(response, 409, 'CONFLICT').details.reason).toBe('inFlight');
      }
      await until(async () => (await deliveries(tenant, webhook.id))[0]?.status === 'delivered', 5_000);
      expect(slow.count()).toBe(1);
      expect((await admin('webhooks.retry', { id: webhook.id, deliveryId: delivery!.id })).status).toBe(202);
      await until(() => slow.count() === 2, 5_000, 'the retry');
    } finally {
      await slow.close();
    }
  });
});
