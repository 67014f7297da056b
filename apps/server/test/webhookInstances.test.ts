import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startProcess } from './processes';

/**
 * Webhook deliveries shared by two server processes on one PostgreSQL database (docs/api.md "Change
 * events"): one instance at a time attempts a delivery, and one killed mid-attempt leaves it to the
 * other, so the receiver gets it (possibly twice, never zero times).
 */
/** Long enough that the second instance starts (a few seconds on a busy machine) well inside it. */
const LEASE_MS = 8_000;

describe.runIf(Boolean(process.env.DATABASE_URL))('webhook deliveries across instances (PostgreSQL)', () => {
  let database: TestDatabase;
  const processes: ServerProcess[] = [];
  const env: Record<string, string> = {
    JWT_SECRET: randomBytes(24).toString('hex'),
    WEBHOOK_ALLOW_PRIVATE: '1',
    WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms',
    WEBHOOK_LEASE_MS: String(LEASE_MS),
  };
  beforeAll(async () => {
    database = await createTestDatabase();
    env.DATABASE_URL = database.url!;
  });
  afterAll(async () => {
    for (const server of processes) server.child.kill('SIGKILL');
    await database?.close();
  });

  it('an instance killed mid-delivery leaves it to the other, which delivers it once its lease runs out', async () => {
    const received: { at: number; headers: IncomingHttpHeaders }[] = [];
    const held: ServerResponse[] = [];
    // The first request is never answered (its sender dies holding it); later ones are.
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ at: Date.now(), headers: req.headers });
        if (received.length === 1) held.push(res);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const first = await startProcess(env);
      processes.push(first);
      const call = async (path: string, body: unknown, token?: string) => {
        const response = await fetch(first.url + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };
      const signup = await call('/api/v1/auth/signup', {
        email: `hooks-${Date.now()}@example.com`,
        password: 'password123',
        organizationName: 'Two instances',
      });
      const token = signup.body.accessToken as string;
      expect((await call('/api/v1/webhooks', { url, eventTypes: ['agent.created'] }, token)).status).toBe(
        201,
      );
      expect(
        (await call('/api/v1/agents', { name: 'Delivered once', instructions: 'i' }, token)).status,
      ).toBe(201);
      // The first instance claims the delivery and waits for an answer that never comes.
      const deadline = Date.now() + 10_000;
      while (!received.length && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(received).toHaveLength(1);
      const second = await startProcess(env);
      processes.push(second);
      // While the first holds its lease, the second leaves the delivery alone.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(received).toHaveLength(1);
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await first.exited;
      while (received.length < 2 && Date.now() < killedAt + LEASE_MS + 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(received.length).toBeGreaterThanOrEqual(2);
      expect(received[1]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);
      // Not before the lease ran out.
      expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(LEASE_MS - 500);
      // The second instance records it delivered.
      const webhooks = await fetch(`${second.url}/api/v1/webhooks`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const [webhook] = ((await webhooks.json()) as { items: { id: string }[] }).items;
      let status = '';
      for (let i = 0; i < 50 && status !== 'delivered'; i++) {
        const page = await fetch(`${second.url}/api/v1/webhooks/${webhook!.id}/deliveries`, {
          headers: { authorization: `Bearer ${token}` },
        });
        status = ((await page.json()) as { items: { status: string }[] }).items[0]?.status ?? '';
        if (status !== 'delivered') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe('delivered');
    } finally {
      for (const res of held) res.destroy();
      receiver.close();
    }
  }, 120_000);
});
