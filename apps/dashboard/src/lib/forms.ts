import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import type { ServerError } from './api';

/** Where each of the contract's reference details belongs in a form. */
const DETAIL_FIELDS: Record<string, { field: string; message: (ids: string[]) => string }> = {
  invalidAgentIds: {
    field: 'agentIds',
    message: (ids) => `Not active agents of this organization: ${ids.join(', ')}`,
  },
  uncoveredAgentIds: {
    field: 'modalityProfile',
    message: (ids) => `This profile does not cover the media of: ${ids.join(', ')}`,
  },
  unsupportedPanels: {
    field: 'enabledPanels',
    message: (ids) => `No chosen agent provides: ${ids.join(', ')}`,
  },
};

/**
 * Puts every error the server named on its field (as type `server`, so a form can drop one once
 * what it was about has changed) (`details.issues` paths, the reference details);
 * answers what concerns no field, for a banner, or null when everything landed on a field.
 */
export function applyServerError<T extends FieldValues>(
  setError: UseFormSetError<T>,
  problem: ServerError,
  names: (id: string) => string = (id) => id,
): string | null {
  let placed = false;
  const issues = (problem.details.issues ?? []) as { path: string[]; message: string }[];
  for (const issue of issues) {
    if (!issue.path.length) continue;
    setError(issue.path[0] as Path<T>, { type: 'server', message: issue.message });
    placed = true;
  }
  for (const [key, { field, message }] of Object.entries(DETAIL_FIELDS)) {
    const ids = problem.details[key] as string[] | undefined;
    if (ids?.length) {
      setError(field as Path<T>, { type: 'server', message: message(ids.map(names)) });
      placed = true;
    }
  }
  return placed ? null : problem.message;
}

/** The fields whose values differ between two versions of a form's values, for "what changed". */
export function changedFields(before: object, after: object): string[] {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  return Object.keys(a).filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/** Whether a form holds exactly `saved` (every field of it, compared as JSON). */
export function holds(values: object, saved: object): boolean {
  const held = values as Record<string, unknown>;
  return Object.entries(saved).every(
    ([key, value]) => JSON.stringify(held[key] ?? null) === JSON.stringify(value ?? null),
  );
}
