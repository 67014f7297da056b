import type { Agent } from '@switchboard/client';
import { useQuery } from '@tanstack/react-query';
import { trpc } from './api';

/** The organization's active agents (the first 100, newest first), and their names by id. */
export function useAgents() {
  const query = useQuery(trpc.agents.list.queryOptions({ limit: 100 }));
  const agents: Agent[] = query.data?.items ?? [];
  const byId = new Map(agents.map((agent) => [agent.id, agent]));
  const nameOf = (id: string) => byId.get(id)?.name ?? `${id.slice(0, 8)}…`;
  return { agents, byId, nameOf, isLoading: query.isLoading };
}
