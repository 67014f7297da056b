import type { AuditResourceType } from '@switchboard/client';
import type { QueryFilters } from '@tanstack/react-query';
import { queryClient, trpc } from './api';

/**
 * What a change to each kind of resource makes stale: the one table used by this tab's own
 * mutations and by the live stream's change events (another tab's, another person's), so both
 * refresh the same queries. The audit log shows every change.
 */
const STALE: Record<AuditResourceType, QueryFilters[]> = {
  // An agent is part of its templates' session config.
  agent: [trpc.agents.pathFilter(), trpc.sessionTemplates.config.pathFilter()],
  sessionTemplate: [trpc.sessionTemplates.pathFilter()],
  deployment: [trpc.deployments.pathFilter(), trpc.sessionTemplates.config.pathFilter()],
  environment: [
    trpc.environments.pathFilter(),
    trpc.deployments.pathFilter(),
    trpc.sessionTemplates.config.pathFilter(),
  ],
  webhook: [trpc.webhooks.pathFilter()],
  apiKey: [trpc.apiKeys.pathFilter()],
  member: [trpc.organization.pathFilter()],
  // An import may change any agent or template: everything is refetched.
  config: [{}],
};

/**
 * Marks stale what a change to a kind of resource may have changed (each procedure's path
 * filter reaches its queries and its paged lists alike); resolves once the shown queries refetched.
 */
export function invalidateFor(resource: { type: AuditResourceType }) {
  return Promise.all(
    [...STALE[resource.type], trpc.audit.pathFilter()].map((filters) =>
      queryClient.invalidateQueries(filters),
    ),
  );
}
