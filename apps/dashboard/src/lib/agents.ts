import type { Agent, SessionTemplate } from '@switchboard/client';
import { useQuery } from '@tanstack/react-query';
import { client } from './api';

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

function useById<T extends { id: string; name: string; isActive: boolean }>(
  kind: 'agents' | 'sessionTemplates',
  ids: readonly string[],
  fetch: (ids: string[]) => Promise<{ items: T[] }>,
  unknown: string,
) {
  const groups = batches(ids);
  const query = useQuery({
    queryKey: [kind, 'byIds', groups.flat()],
    queryFn: async () => (await Promise.all(groups.map(fetch))).flatMap((page) => page.items),
    enabled: groups.length > 0,
    staleTime: 30_000,
  });
  const byId = new Map((query.data ?? []).map((item) => [item.id, item]));
  const nameOf = (id: string) => displayName(byId.get(id), query.isLoading ? '…' : unknown);
  return { byId, nameOf, isLoading: query.isLoading && groups.length > 0 };
}

/**
 * Agents by id, from the server (`agents.getMany`), deleted ones included: what a page shows for the
 * ids it holds, however many agents the organization has.
 */
export function useAgentsById(ids: readonly string[]) {
  return useById<Agent>(
    'agents',
    ids,
    (batch) => client.agents.getMany.query({ ids: batch }),
    'Unknown agent',
  );
}

/** Session templates by id (`sessionTemplates.getMany`), deleted ones included. */
export function useTemplatesById(ids: readonly string[]) {
  return useById<SessionTemplate>(
    'sessionTemplates',
    ids,
    (batch) => client.sessionTemplates.getMany.query({ ids: batch }),
    'Unknown template',
  );
}

/** Every id-shaped string in a value (revision changes, snapshots), to look up by name. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function idsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string' && UUID.test(value)) into.add(value.toLowerCase());
  else if (Array.isArray(value)) for (const item of value) idsIn(item, into);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) idsIn(item, into);
  return into;
}
