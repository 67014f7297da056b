import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LINGER } from '../src/http/drainRefusedBody';
import { createTenant, driverName, startServer, type TestServer } from './server';

/**
 * A body over the limit always gets its 413, whatever its size, even from a client that writes its
 * whole body before it reads anything (as most HTTP clients do); and a refused body cannot hold a
 * connection open past the lingering bounds.
 */
let server: TestServer;
let token = '';
beforeAll(async () => {
  server = await startServer();
  token = (await createTenant(server, 'Bodies')).adminToken;
});
afterAll(() => server?.close());

const defaults = { ...LINGER };
afterEach(() => Object.assign(LINGER, defaults));

interface RawResult {
  /** The status line the client read, if any. */
  status: string | null;
  body: string;
  /** How many body bytes the client managed to write. */
  written: number;
  writeError: string | null;
  closedAfterMs: number;
}

/**
 * Sends `POST path` with a declared `content-length` of `declared` bytes, writes `send` bytes of
 * body (all of it, waiting for the socket to drain) and only then reads; answers what arrived.
 * With `send < declared` the client stalls after writing.
 */
function rawPost(path: string, declared: number, send = declared): Promise<RawResult> {
  return new Promise((resolve) => {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    const began = performance.now();
    let received = '';
    let written = 0;
    let writeError: string | null = null;
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      writeError ??= error.code ?? error.message;
    });
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({
        status: received ? head.split('\r\n')[0]! : null,
        body,
        written,
        writeError,
        closedAfterMs: performance.now() - began,
      });
    });
    socket.pause(); // read nothing until the whole body is written
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${token}\r\n` +
        `content-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (written < send && !socket.destroyed) {
        const size = Math.min(chunk.length, send - written);
        written += size;
        if (!socket.write(chunk.subarray(0, size))) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.resume();
      if (send === declared) socket.end();
    };
    pump();
  });
}

const MiB = 1024 * 1024;

describe(`bodies over the limit (${driverName})`, () => {
  it.each([4, 16, 64])('%i MiB bodies, eight at once, each get 413 on REST and tRPC', async (size) => {
    const results = await Promise.all(
      ['/api/v1/agents', '/trpc/agents.create'].flatMap((path) =>
        Array.from({ length: 4 }, () => rawPost(path, size * MiB)),
      ),
    );
    for (const result of results) {
      expect(result.writeError).toBeNull();
      expect(result.written).toBe(size * MiB);
      expect(result.status).toBe('HTTP/1.1 413 Payload Too Large');
    }
    expect(JSON.parse(results[0]!.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('a client that stalls after the 413 is cut off after the idle bound', async () => {
    LINGER.idleMs = 300;
    const result = await rawPost('/api/v1/agents', 32 * MiB, 2 * MiB);
    expect(result.status).toBe('HTTP/1.1 413 Payload Too Large');
    expect(result.closedAfterMs).toBeLessThan(5_000);
  });

  it('a client that keeps sending past the byte bound is cut off', async () => {
    LINGER.maxBytes = 4 * MiB;
    LINGER.idleMs = 20_000; // so that only the byte bound can cut the sender off
    const result = await rawPost('/api/v1/agents', 256 * MiB);
    expect(result.closedAfterMs).toBeLessThan(10_000);
    expect(result.written).toBeLessThan(256 * MiB);
    expect(result.writeError).not.toBeNull();
  });

  it('after a drained 413 the connection serves the next request', async () => {
    for (let i = 0; i < 3; i++) {
      const refused = await fetch(`${server.url}/api/v1/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: 'x'.repeat(2 * MiB),
      });
      expect(refused.status).toBe(413);
      const next = await fetch(`${server.url}/api/v1/agents`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(next.status).toBe(200);
    }
  });

  it('the connection still serves a body at the limit', async () => {
    const body = JSON.stringify({ name: 'Big', instructions: 'x'.repeat(90_000) });
    const res = await fetch(`${server.url}/api/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(201);
  });
});
