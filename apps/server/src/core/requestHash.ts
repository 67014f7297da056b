import { createHash } from 'node:crypto';

/** JSON with every object's keys in code-point order, so `{a,b}` and `{b,a}` are one text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What identifies a request for an idempotency key: the operation and its input as the procedure
 * reads it (after parsing, so ids in any spelling and JSON keys in any order are the same request).
 * Pure, so a worker thread that reads a body computes the very hash the event loop would.
 */
export function requestHash(operation: string, input: unknown): string {
  return createHash('sha256')
    .update(`${operation}\n${canonicalJson(input)}`)
    .digest('base64url');
}
