import {
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  type AuditEvent,
  type AuditListInput,
} from '@switchboard/client';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { z } from 'zod';
import { describeServed } from '../../components/ReleaseHistory';
import {
  AdminsOnly,
  Button,
  DataTable,
  EmptyState,
  inputClass,
  PageHeader,
  QueryState,
} from '../../components/ui';
import { client, pagedList, trpc } from '../../lib/api';
import { AUDIT_ACTION_LABELS } from '../../lib/labels';
import { session } from '../../lib/session';

const RESOURCE_LABELS: Record<(typeof AUDIT_RESOURCE_TYPES)[number], string> = {
  agent: 'Agents',
  sessionTemplate: 'Session templates',
  member: 'Members',
  apiKey: 'API keys',
  config: 'Imports',
  environment: 'Environments',
  deployment: 'Deployments',
  webhook: 'Webhooks',
};

export const Route = createFileRoute('/_app/audit')({
  // The filters live in the URL, so a filtered log can be shared.
  validateSearch: z.object({
    resourceType: z.enum(AUDIT_RESOURCE_TYPES).optional(),
    resourceId: z.string().optional(),
    actorId: z.string().optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
  }),
  component: AuditLog,
});

/** Where an event's resource lives in the dashboard, at the revision the event made. */
function ResourceLink({ event }: { event: AuditEvent }) {
  const { resource, version } = event;
  const search = version === null ? {} : { version };
  const className = 'font-medium text-indigo-700 hover:underline dark:text-indigo-300';
  if (resource.type === 'sessionTemplate') {
    return (
      <Link to="/templates/$id" params={{ id: resource.id }} search={search} className={className}>
        {resource.name}
      </Link>
    );
  }
  if (resource.type === 'agent') {
    return (
      <Link to="/agents/$id" params={{ id: resource.id }} search={search} className={className}>
        {resource.name}
      </Link>
    );
  }
  if (resource.type === 'member') {
    return (
      <Link to="/members" className={className}>
        {resource.name}
      </Link>
    );
  }
  return <span>{resource.name}</span>;
}

function AuditLog() {
  if (!session.isAdmin()) {
    return <AdminsOnly title="Audit log" what="read the audit log" />;
  }
  return <AuditTable />;
}

function AuditTable() {
  const filters = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const members = useQuery(trpc.organization.listMembers.queryOptions());
  const input: AuditListInput = { limit: 50, ...filters };
  const log = useInfiniteQuery(pagedList(trpc.audit.list.infiniteQueryKey(input), client.audit.list, input));
  const events = log.data?.pages.flatMap((page) => page.items) ?? [];
  const setFilter = (key: keyof typeof filters, value: string) =>
    void navigate({ search: (prev) => ({ ...prev, [key]: value || undefined }), replace: true });

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change in your organization: who made it, when, and in which request. Nothing here is ever edited or deleted."
      />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <label className="grid gap-1 text-sm">
          Resource
          <select
            className={`${inputClass} w-auto`}
            value={filters.resourceType ?? ''}
            onChange={(event) => setFilter('resourceType', event.target.value)}
          >
            <option value="">All resources</option>
            {AUDIT_RESOURCE_TYPES.map((type) => (
              <option key={type} value={type}>
                {RESOURCE_LABELS[type]}
              </option>
            ))}
          </select>
        </label>
        <label className="grid gap-1 text-sm">
          Action
          <select
            className={`${inputClass} w-auto`}
            value={filters.action ?? ''}
            onChange={(event) => setFilter('action', event.target.value)}
          >
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((action) => (
              <option key={action} value={action}>
                {AUDIT_ACTION_LABELS[action]}
              </option>
            ))}
          </select>
        </label>
        <label className="grid gap-1 text-sm">
          Who
          <select
            className={`${inputClass} w-auto`}
            value={filters.actorId ?? ''}
            onChange={(event) => setFilter('actorId', event.target.value)}
          >
            <option value="">Anyone</option>
            {members.data?.items.map((member) => (
              <option key={member.id} value={member.id}>
                {member.fullName ?? member.email}
              </option>
            ))}
          </select>
        </label>
        {filters.resourceId && (
          <Button variant="secondary" onClick={() => setFilter('resourceId', '')}>
            Show every resource
          </Button>
        )}
      </div>
      <QueryState query={log}>
        {() =>
          events.length === 0 ? (
            <EmptyState title="No event matches these filters" />
          ) : (
            <DataTable
              caption="Audit events, newest first"
              rows={events}
              rowKey={(event) => event.id}
              columns={[
                {
                  header: 'When',
                  className: 'whitespace-nowrap',
                  cell: (event) => <time dateTime={event.at}>{new Date(event.at).toLocaleString()}</time>,
                },
                { header: 'Who', cell: (event) => event.actor.name },
                { header: 'Action', cell: (event) => AUDIT_ACTION_LABELS[event.action] },
                {
                  header: 'Resource',
                  cell: (event) => (
                    <>
                      <ResourceLink event={event} />
                      <button
                        type="button"
                        className="ml-2 text-xs text-zinc-600 underline dark:text-zinc-400"
                        onClick={() => setFilter('resourceId', event.resource.id)}
                      >
                        only this<span className="sr-only"> resource ({event.resource.name})</span>
                      </button>
                    </>
                  ),
                },
                {
                  header: 'Version',
                  cell: (event) => (
                    <span title={`Request ${event.requestId}`}>
                      {event.release
                        ? `Release ${event.version}: ${describeServed(event.release)}`
                        : (event.version ?? '—')}
                    </span>
                  ),
                },
              ]}
            />
          )
        }
      </QueryState>
      {log.hasNextPage && (
        <div className="mt-4 flex justify-center">
          <Button
            variant="secondary"
            disabled={log.isFetchingNextPage}
            onClick={() => void log.fetchNextPage()}
          >
            {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        </div>
      )}
    </>
  );
}
