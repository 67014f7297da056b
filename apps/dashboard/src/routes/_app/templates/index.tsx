import { useInfiniteQuery } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { ListSearch, listInput, NewLink, SearchableList } from '../../../components/SearchableList';
import { Badge, DataTable, EmptyState, PageHeader } from '../../../components/ui';
import { useAgentsById } from '../../../lib/agents';
import { client, pagedList, trpc } from '../../../lib/api';
import { formatSeconds, PANEL_LABELS, PROFILE_LABELS } from '../../../lib/labels';
import { session } from '../../../lib/session';

const PAGE = 50;

export const Route = createFileRoute('/_app/templates/')({
  // The search lives in the URL, so a filtered list can be shared and survives a reload.
  validateSearch: ListSearch,
  component: TemplateList,
});

function TemplateList() {
  const search = Route.useSearch();
  const { q } = search;
  const deleted = search.status === 'deleted';
  const navigate = useNavigate({ from: Route.fullPath });
  const input = listInput(search, PAGE);
  const list = useInfiniteQuery(
    pagedList(trpc.sessionTemplates.list.infiniteQueryKey(input), client.sessionTemplates.list, input),
  );
  const templates = list.data?.pages.flatMap((page) => page.items) ?? [];
  const { nameOf } = useAgentsById(templates.flatMap((template) => template.agentIds));
  const admin = session.isAdmin();

  return (
    <>
      <PageHeader
        title="Session templates"
        description="What happens when an end-user connects: the agents, who greets first, the media and the panels."
        actions={admin && <NewLink to="/templates/new" label="New template" />}
      />
      <SearchableList
        what="templates"
        search={search}
        onSearchChange={(change, replace) =>
          void navigate({ search: (prev) => ({ ...prev, ...change }), replace })
        }
        query={list}
        isEmpty={templates.length === 0}
        empty={
          <EmptyState
            title={
              q ? `No template matches “${q}”` : deleted ? 'No deleted templates' : 'No session templates yet'
            }
          >
            {!q &&
              !deleted &&
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
        }
      >
        <DataTable
          caption="Session templates"
          rows={templates}
          rowKey={(template) => template.id}
          rowClassName="hover:bg-zinc-50 dark:hover:bg-zinc-800/50"
          columns={[
            {
              header: 'Name',
              cell: (template) => (
                <>
                  <Link
                    to={deleted ? '/templates/deleted/$id' : '/templates/$id'}
                    params={{ id: template.id }}
                    className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
                  >
                    {template.name}
                  </Link>
                  <div className="text-xs text-zinc-600 dark:text-zinc-400">version {template.version}</div>
                </>
              ),
            },
            { header: 'Agents', cell: (template) => template.agentIds.map(nameOf).join(', ') },
            { header: 'Media', cell: (template) => PROFILE_LABELS[template.modalityProfile] },
            {
              header: 'Panels',
              cell: (template) => (
                <div className="flex flex-wrap gap-1">
                  {template.enabledPanels.length
                    ? template.enabledPanels.map((panel) => <Badge key={panel}>{PANEL_LABELS[panel]}</Badge>)
                    : '—'}
                </div>
              ),
            },
            {
              header: 'Limits',
              className: 'text-zinc-700 dark:text-zinc-300',
              cell: (template) =>
                `${formatSeconds(template.maxDurationSeconds)} · idle ${formatSeconds(template.idleTimeoutSeconds)}`,
            },
          ]}
        />
      </SearchableList>
    </>
  );
}
