import { useInfiniteQuery } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { Plus, Search } from 'lucide-react';
import { z } from 'zod';
import { Badge, Button, EmptyState, inputClass, Notice, PageHeader, Spinner } from '../../../components/ui';
import { client, pagedList, serverError, trpc } from '../../../lib/api';
import { MODALITY_LABELS, PANEL_LABELS } from '../../../lib/labels';
import { session } from '../../../lib/session';

export const Route = createFileRoute('/_app/agents/')({
  validateSearch: z.object({ q: z.string().max(255).optional() }),
  component: AgentList,
});

function AgentList() {
  const { q } = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const input = { limit: 20, ...(q ? { search: q } : {}) };
  const list = useInfiniteQuery(
    pagedList(trpc.agents.list.queryKey(input), (cursor) =>
      client.agents.list.query({ ...input, ...(cursor ? { cursor } : {}) }),
    ),
  );
  const agents = list.data?.pages.flatMap((page) => page.items) ?? [];
  const admin = session.isAdmin();
  return (
    <>
      <PageHeader
        title="Agents"
        description="The AI agents your session templates bring together."
        actions={
          admin && (
            <Link
              to="/agents/new"
              className="inline-flex items-center gap-2 rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 dark:bg-indigo-500"
            >
              <Plus aria-hidden className="h-4 w-4" /> New agent
            </Link>
          )
        }
      />
      <div className="relative mb-4 max-w-sm">
        <label htmlFor="agent-search" className="sr-only">
          Search agents by name
        </label>
        <Search aria-hidden className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-zinc-500" />
        <input
          id="agent-search"
          type="search"
          placeholder="Search by name"
          defaultValue={q ?? ''}
          className={`${inputClass} pl-9`}
          onChange={(event) =>
            void navigate({ search: { q: event.target.value || undefined }, replace: true })
          }
        />
      </div>
      {list.isError ? (
        <Notice>{serverError(list.error).message}</Notice>
      ) : list.isLoading ? (
        <Spinner />
      ) : agents.length === 0 ? (
        <EmptyState title={q ? `No agent matches “${q}”` : 'No agents yet'}>
          {!q && admin && (
            <Link to="/agents/new" className="font-medium text-indigo-700 underline dark:text-indigo-300">
              Create the first agent
            </Link>
          )}
        </EmptyState>
      ) : (
        <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
          {agents.map((agent) => (
            <li key={agent.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
              <Link
                to="/agents/$id"
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
      )}
      {list.hasNextPage && (
        <div className="mt-4 flex justify-center">
          <Button
            variant="secondary"
            disabled={list.isFetchingNextPage}
            onClick={() => void list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        </div>
      )}
    </>
  );
}
