import { z } from 'zod';

/**
 * What one session is made of: a template revision and the exact agent versions it runs with
 * (`{ [agentId]: version }`). It never changes, whatever is edited afterwards.
 */
export const Release = z
  .object({ templateVersion: z.int(), agentVersions: z.record(z.string(), z.int()) })
  .meta({ id: 'Release' });
export type Release = z.infer<typeof Release>;

export const CanaryRelease = Release.extend({ percent: z.int().min(1).max(99) }).meta({
  id: 'CanaryRelease',
});
export type CanaryRelease = z.infer<typeof CanaryRelease>;

/**
 * What an environment serves for a template from a release record on: the stable and the canary;
 * both null once it serves nothing fixed (undeployed, or following latest).
 */
export const ServedRelease = z
  .object({ stable: Release.nullable(), canary: CanaryRelease.nullable() })
  .meta({ id: 'ServedRelease' });
export type ServedRelease = z.infer<typeof ServedRelease>;

/** The same release: the same template version and every agent at the same version. */
export function sameRelease(a: Release, b: Release): boolean {
  const keys = Object.keys(a.agentVersions);
  return (
    a.templateVersion === b.templateVersion &&
    keys.length === Object.keys(b.agentVersions).length &&
    keys.every((id) => a.agentVersions[id] === b.agentVersions[id])
  );
}

/**
 * What a rollback without `toRecord` serves again (docs/api.md "Releases"): among an environment's
 * records of a template, newest first, the first whose stable differs from what it serves now
 * (`current`, null when nothing). The server rolls back to it; the dashboard names it on its button.
 */
export function rollbackTarget<T extends { stable: Release | null }>(
  newestFirst: readonly T[],
  current: Release | null,
): T | null {
  return (
    newestFirst.find(
      (record) => record.stable !== null && (current === null || !sameRelease(record.stable, current)),
    ) ?? null
  );
}
