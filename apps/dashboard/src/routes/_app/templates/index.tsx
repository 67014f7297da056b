import { useInfiniteQuery } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { Plus, Search } from 'lucide-react';
import { z } from 'zod';
import { Badge, Button, EmptyState, inputClass, Notice, PageHeader, Spinner } from '../../../components/ui';
import { useAgents } from '../../../lib/agents';
import { client, pagedList, serverError, trpc } from '../../../lib/api';
import { formatSeconds, PANEL_LABELS, PROFILE_LABELS } from '../../../lib/labels';
import { session } from '../../../lib/session';

const PAGE = 50;

export const Route = createFileRoute('/_app/templates/')({
  // The search lives in the URL, so a filtered list can be shared and survives a reload.
  validateSearch: z.object({ q: z.string().max(255).optional() }),
  component: TemplateList,
});

function TemplateList() {
  const { q } = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const { nameOf } = useAgents();
  const input = { limit: PAGE, ...(q ? { search: q } : {}) };
  const list = useInfiniteQuery(
    pagedList(trpc.sessionTemplates.list.queryKey(input), (cursor) =>
      client.sessionTemplates.list.query({ ...input, ...(cursor ? { cursor } : {}) }),
    ),
  );
  const templates = list.data?.pages.flatMap((page) => page.items) ?? [];
  const admin = session.isAdmin();

  return (
    <>
      <PageHeader
        title="Session templates"
        description="What happens when an end-user connects: the agents, who greets first, the media and the panels."
        actions={
          admin && (
            <Link
              to="/templates/new"
              className="inline-flex items-center gap-2 rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 dark:bg-indigo-500"
            >
              <Plus aria-hidden className="h-4 w-4" /> New template
            </Link>
          )
        }
      />
      <div className="relative mb-4 max-w-sm">
        <label htmlFor="template-search" className="sr-only">
          Search templates by name
        </label>
        <Search aria-hidden className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-zinc-500" />
        <input
          id="template-search"
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
      ) : templates.length === 0 ? (
        <EmptyState title={q ? `No template matches “${q}”` : 'No session templates yet'}>
          {!q &&
            (admin ? (
              <Link
                to="/templates/new"
                className="font-medium text-indigo-700 underline dark:text-indigo-300"
              >
                Create the first template
              </Link>
            ) : (
              'An admin of your organization can create one.'
            ))}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-4 py-3 font-medium">
                  Name
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Agents
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Media
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Panels
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Limits
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {templates.map((template) => (
                <tr key={template.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/50">
                  <td className="px-4 py-3">
                    <Link
                      to="/templates/$id"
                      params={{ id: template.id }}
                      className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
                    >
                      {template.name}
                    </Link>
                    <div className="text-xs text-zinc-600 dark:text-zinc-400">version {template.version}</div>
                  </td>
                  <td className="px-4 py-3">{template.agentIds.map(nameOf).join(', ')}</td>
                  <td className="px-4 py-3">{PROFILE_LABELS[template.modalityProfile]}</td>
                  <td className="px-4 py-3">
                    <div className="flex flex-wrap gap-1">
                      {template.enabledPanels.length
                        ? template.enabledPanels.map((panel) => (
                            <Badge key={panel}>{PANEL_LABELS[panel]}</Badge>
                          ))
                        : '—'}
                    </div>
                  </td>
                  <td className="px-4 py-3 text-zinc-700 dark:text-zinc-300">
                    {formatSeconds(template.maxDurationSeconds)} · idle{' '}
                    {formatSeconds(template.idleTimeoutSeconds)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
