/**
 * The worker thread that reads outcome reports (docs/architecture.md "Session outcomes and
 * guards"): the JSON text of a `POST /api/v1/session-outcomes` body in, its digest (and idempotency
 * hash) out, so the event loop that answers session config never parses or checks a report.
 */
import { parentPort } from 'node:worker_threads';
import { ReportOutcomesInput } from '@switchboard/contract';
import { nestsDeeperThan } from '../../core/jsonDepth';
import { requestHash } from '../../core/requestHash';
import { digestReport, type ReportDigest } from './digest';

export interface ReadRequest {
  id: number;
  text: string;
  /** The operation an idempotency hash is asked for (`POST /session-outcomes`); null: none. */
  hashOf: string | null;
}

export interface ReadAnswer {
  id: number;
  /** Null: not a report this reads; the event loop reads it again and gives its usual answer. */
  read: { digest: ReportDigest; hash: string | null } | null;
}

/**
 * What the event loop's body parser would refuse, or might: prototype keys (spelt out or escaped)
 * are left to it, like any body that is not valid JSON, too deep or not a valid report.
 */
const LEFT_TO_THE_EVENT_LOOP = ['__proto__', 'constructor', '\\u'];

export function readReport(text: string, hashOf: string | null): ReadAnswer['read'] {
  if (LEFT_TO_THE_EVENT_LOOP.some((part) => text.includes(part)) || nestsDeeperThan(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = ReportOutcomesInput.safeParse(value);
  if (!parsed.success) return null;
  return {
    digest: digestReport(parsed.data, Date.now()),
    hash: hashOf === null ? null : requestHash(hashOf, parsed.data),
  };
}

parentPort?.on('message', ({ id, text, hashOf }: ReadRequest) => {
  parentPort!.postMessage({ id, read: readReport(text, hashOf) } satisfies ReadAnswer);
});
