import { createHash } from 'node:crypto';

/**
 * Canary bucketing, a pure function of (template, session key), shared by the server and the runtime
 * package (`@switchboard/contract/canary`: it uses `node:crypto`, so the dashboard never imports it).
 */

/** No session key: a bucket no canary share reaches, so the session gets the stable release. */
export const NO_BUCKET = 100;

/**
 * The bucket (0..99) of a session (docs/api.md "Environments and deployments"): the first 4 bytes of
 * SHA-256 of `templateId:sessionKey`, as an unsigned integer, modulo 100. A session whose bucket is
 * below a canary's percent gets the canary, so one key always lands in the same arm, and raising
 * the percent only moves sessions from the stable to the canary.
 */
export function canaryBucket(templateId: string, sessionKey: string | undefined): number {
  if (sessionKey === undefined) return NO_BUCKET;
  return createHash('sha256').update(`${templateId}:${sessionKey}`).digest().readUInt32BE(0) % 100;
}

/** Whether a session in `bucket` gets a canary of `percent` (null: there is no canary). */
export function inCanary(bucket: number, percent: number | null): boolean {
  return percent !== null && bucket < percent;
}
