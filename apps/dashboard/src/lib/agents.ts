import { useQueries } from '@tanstack/react-query';
import { trpc } from './api';

const BATCH = 100;

/** `ids` once each, in a stable order (the query key), in calls of at most 100. */
function batches(ids: readonly string[]): string[][] {
  const unique = [...new Set(ids)].sort();
  const out: string[][] = [];
  for (let start = 0; start < unique.length; start += BATCH) out.push(unique.slice(start, start + BATCH));
  return out;
}

/** An entity's name as a person reads it: its last name, marked when it was deleted. */
export function displayName(entity: { name: string; isActive: boolean } | undefined, fallback: string) {
  if (!entity) return fallback;
  return entity.isActive ? entity.name : `${entity.name} (deleted)`;
}

/** The entities a page's `getMany` batches answered, by id, with their names as a person reads them. */
function byId<T extends { id: string; name: string; isActive: boolean }>(
  pages: { data?: { items: T[] }; isLoading: boolean }[],
  unknown: string,
) {
  const found = new Map(pages.flatMap((page) => page.data?.items ?? []).map((item) => [item.id, item]));
  const isLoading = pages.some((page) => page.isLoading);
  const nameOf = (id: string) => displayName(found.get(id), isLoading ? '…' : unknown);
  return { byId: found, nameOf, isLoading };
}

/**
 * Agents by id, from the server (`agents.getMany`), deleted ones included: what a page shows for the
 * ids it holds, however many agents the organization has.
 */
export function useAgentsById(ids: readonly string[]) {
  const pages = useQueries({
    queries: batches(ids).map((batch) => ({
      ...trpc.agents.getMany.queryOptions({ ids: batch }),
      staleTime: 30_000,
    })),
  });
  return byId(pages, 'Unknown agent');
}

/** Session templates by id (`sessionTemplates.getMany`), deleted ones included. */
export function useTemplatesById(ids: readonly string[]) {
  const pages = useQueries({
    queries: batches(ids).map((batch) => ({
      ...trpc.sessionTemplates.getMany.queryOptions({ ids: batch }),
      staleTime: 30_000,
    })),
  });
  return byId(pages, 'Unknown template');
}

/** Every id-shaped string in a value (revision changes, snapshots), to look up by name. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function idsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string' && UUID.test(value)) into.add(value.toLowerCase());
  else if (Array.isArray(value)) for (const item of value) idsIn(item, into);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) idsIn(item, into);
  return into;
}
