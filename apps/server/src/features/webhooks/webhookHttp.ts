import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { WEBHOOK_SECRET_PREFIX } from '@switchboard/contract';

/**
 * How a webhook request leaves the server (docs/api.md "Change events"): signed the Standard Webhooks
 * way, to a public address only (checked after name resolution, on the address the socket then
 * connects to), no redirect followed, with a connect timeout and a timeout on the whole attempt.
 */

/** Every range that is not the public internet: loopback, private, link-local, shared, reserved, multicast. */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (IPv4 or IPv6, IPv4-mapped too) is outside the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return NON_PUBLIC.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL as an address or a name (`[::1]` → `::1`). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export class RefusedAddress extends Error {}

/** Every address `host` resolves to (itself when it is an address). */
export function resolveAll(host: string): Promise<string[]> {
  if (isIP(host)) return Promise.resolve([host]);
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses.map((entry) => entry.address)),
    ),
  );
}

/** A DNS lookup for the socket that refuses non-public addresses (so the address checked is the one used). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = allowPrivate
        ? addresses
        : addresses.filter((entry) => !isNonPublicAddress(entry.address));
      if (!allowed.length) {
        return callback(new RefusedAddress(`${hostname} resolves to a non-public address`), '', 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as never as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under each secret, space-separated. */
export function signature(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    })
    .join(' ');
}

export interface AttemptResult {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  /** The answer's `Retry-After`, in milliseconds from now. */
  retryAfterMs: number | null;
}

const RESPONSE_BODY_MAX = 1024;

function retryAfter(response: IncomingMessage): number | null {
  const value = response.headers['retry-after'];
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * One POST of a signed event; never throws (what went wrong is in `error`). One deadline covers
 * the whole attempt (name resolution, connect, send, the answer's headers): an answer whose
 * headers come within it counts, its body read until then (the first 1 KiB is kept); a receiver
 * that is slow but answers in time is never cut off, as a socket idle timeout would.
 */
export function send(
  target: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; deadlineMs: number },
): Promise<AttemptResult> {
  const began = performance.now();
  const elapsed = () => Math.round(performance.now() - began);
  const failed = (error: string): AttemptResult => ({
    statusCode: null,
    durationMs: elapsed(),
    error,
    responseBody: null,
    retryAfterMs: null,
  });
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.resolve(failed('The URL is not valid'));
  }
  const host = hostOf(url);
  if (isIP(host) && !options.allowPrivate && isNonPublicAddress(host)) {
    return Promise.resolve(failed(`${host} is not a public address`));
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    let answered: AttemptResult | null = null;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const withBody = (result: AttemptResult): AttemptResult => ({
      ...result,
      durationMs: elapsed(),
      responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_MAX).toString('utf8'),
    });
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        lookup: guardedLookup(options.allowPrivate),
        agent: false,
      },
      (response) => {
        answered = {
          statusCode: response.statusCode ?? null,
          durationMs: elapsed(),
          error: null,
          responseBody: null,
          retryAfterMs: retryAfter(response),
        };
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_MAX) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => finish(withBody(answered!)));
        response.on('error', () => finish(withBody(answered!)));
      },
    );
    const deadline = setTimeout(() => {
      // Headers in time: the answer counts, with as much of its body as came.
      if (answered) finish(withBody(answered));
      req.destroy(new Error(`No answer within ${options.deadlineMs} ms`));
    }, options.deadlineMs);
    req.on('error', (error) => finish(answered ? withBody(answered) : failed(error.message)));
    req.end(body);
  });
}
