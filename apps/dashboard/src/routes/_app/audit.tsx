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
import { AdminsOnly, Button, EmptyState, inputClass, Notice, PageHeader, Spinner } from '../../components/ui';
import { client, pagedList, serverError, trpc } from '../../lib/api';
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
  const log = useInfiniteQuery(
    pagedList(['audit', input], (cursor) =>
      client.audit.list.query({ ...input, ...(cursor ? { cursor } : {}) }),
    ),
  );
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
      {log.isError ? (
        <Notice>{serverError(log.error).message}</Notice>
      ) : log.isLoading ? (
        <Spinner />
      ) : events.length === 0 ? (
        <EmptyState title="No event matches these filters" />
      ) : (
        <div className="relative overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-4 py-3 font-medium">
                  When
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Who
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Action
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Resource
                </th>
                <th scope="col" className="px-4 py-3 font-medium">
                  Version
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {events.map((event) => (
                <tr key={event.id}>
                  <td className="px-4 py-3 whitespace-nowrap">
                    <time dateTime={event.at}>{new Date(event.at).toLocaleString()}</time>
                  </td>
                  <td className="px-4 py-3">{event.actor.name}</td>
                  <td className="px-4 py-3">{AUDIT_ACTION_LABELS[event.action]}</td>
                  <td className="px-4 py-3">
                    <ResourceLink event={event} />
                    <button
                      type="button"
                      className="ml-2 text-xs text-zinc-600 underline dark:text-zinc-400"
                      onClick={() => setFilter('resourceId', event.resource.id)}
                    >
                      only this<span className="sr-only"> resource ({event.resource.name})</span>
                    </button>
                  </td>
                  <td className="px-4 py-3" title={`Request ${event.requestId}`}>
                    {event.release
                      ? `Release ${event.version}: ${describeServed(event.release)}`
                      : (event.version ?? '—')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
