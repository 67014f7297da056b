import { useInfiniteQuery } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { ListSearch, listInput, NewLink, SearchableList } from '../../../components/SearchableList';
import { Badge, EmptyState, PageHeader } from '../../../components/ui';
import { client, pagedList, trpc } from '../../../lib/api';
import { MODALITY_LABELS, PANEL_LABELS } from '../../../lib/labels';
import { session } from '../../../lib/session';

export const Route = createFileRoute('/_app/agents/')({
  validateSearch: ListSearch,
  component: AgentList,
});

function AgentList() {
  const search = Route.useSearch();
  const { q } = search;
  const deleted = search.status === 'deleted';
  const navigate = useNavigate({ from: Route.fullPath });
  const input = listInput(search, 20);
  const list = useInfiniteQuery(
    pagedList(trpc.agents.list.infiniteQueryKey(input), client.agents.list, input),
  );
  const agents = list.data?.pages.flatMap((page) => page.items) ?? [];
  const admin = session.isAdmin();
  return (
    <>
      <PageHeader
        title="Agents"
        description="The AI agents your session templates bring together."
        actions={admin && <NewLink to="/agents/new" label="New agent" />}
      />
      <SearchableList
        what="agents"
        search={search}
        onSearchChange={(change, replace) =>
          void navigate({ search: (prev) => ({ ...prev, ...change }), replace })
        }
        query={list}
        isEmpty={agents.length === 0}
        empty={
          <EmptyState title={q ? `No agent matches “${q}”` : deleted ? 'No deleted agents' : 'No agents yet'}>
            {!q && !deleted && admin && (
              <Link to="/agents/new" className="font-medium text-indigo-700 underline dark:text-indigo-300">
                Create the first agent
              </Link>
            )}
          </EmptyState>
        }
      >
        <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
          {agents.map((agent) => (
            <li key={agent.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
              <Link
                to={deleted ? '/agents/deleted/$id' : '/agents/$id'}
                params={{ id: agent.id }}
                className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
              >
                {agent.name}
              </Link>
              <span className="text-sm text-zinc-600 dark:text-zinc-400">{agent.model}</span>
              <Badge tone="accent">{MODALITY_LABELS[agent.modality]}</Badge>
              {agent.panels.map((panel) => (
                <Badge key={panel}>{PANEL_LABELS[panel]}</Badge>
              ))}
            </li>
          ))}
        </ul>
      </SearchableList>
    </>
  );
}
