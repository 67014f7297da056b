import type { SessionTemplate } from '@switchboard/client';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { History } from 'lucide-react';
import { toast } from 'sonner';
import { idsIn, useAgentsById } from '../lib/agents';
import { serverError } from '../lib/api';
import {
  ACTION_LABELS,
  differences,
  type Entity,
  FIELD_LABELS,
  formatValue,
  HISTORY,
  type HistoryKind,
  type Revision,
} from '../lib/history';
import { isLongText, TextDiff } from './TextDiff';
import { Badge, Button, Card, ConfirmButton, Notice, Spinner } from './ui';

/** "before → after" for each changed field, agent names instead of ids. */
/** What changed, field by field, in the history's diff style. */
export function ChangeList({
  changes,
  nameOf,
}: {
  changes: { field: string; before?: unknown; after?: unknown }[];
  nameOf: (id: string) => string;
}) {
  return (
    <dl className="mt-2 grid gap-1 text-sm">
      {changes.map(({ field, before, after }) =>
        isLongText(before, after) ? (
          <div key={field}>
            <dt className="font-medium">{FIELD_LABELS[field] ?? field}:</dt>
            <dd>
              <TextDiff before={before} after={after as string} />
            </dd>
          </div>
        ) : (
          <div key={field} className="flex flex-wrap gap-x-2">
            <dt className="font-medium">{FIELD_LABELS[field] ?? field}:</dt>
            <dd>
              <del className="text-red-800 dark:text-red-300">{formatValue(field, before, nameOf)}</del>
              <span aria-hidden> → </span>
              <span className="sr-only"> changed to </span>
              <ins className="text-emerald-800 no-underline dark:text-emerald-300">
                {formatValue(field, after, nameOf)}
              </ins>
            </dd>
          </div>
        ),
      )}
    </dl>
  );
}

/**
 * An agent's or a template's history, newest first: who changed what and when, the changed fields
 * as a readable diff, the agent versions a template revision ran with, and "Restore this version"
 * behind a confirmation that lists what the restore will change. Works for a deleted entity too.
 */
export function HistoryPanel({
  kind,
  id,
  current,
  canRestore,
  highlight,
  onRestored,
}: {
  kind: HistoryKind;
  id: string;
  /** The entity as it stands now (a deleted one: its last revision's snapshot). */
  current: Entity | undefined;
  canRestore: boolean;
  /** A version to point out (linked from the audit log). */
  highlight?: number;
  onRestored: (entity: Entity) => Promise<void> | void;
}) {
  const history = HISTORY[kind];
  // Either kind's restore takes the same input and answers the entity.
  const restore = useMutation((history.restore as typeof HISTORY.agent.restore).mutationOptions());
  // History grows with every change, made here or anywhere: read afresh whenever the panel opens.
  const query = useInfiniteQuery({
    ...(history.revisions(id) as ReturnType<typeof HISTORY.agent.revisions>),
    staleTime: 0,
  });
  // Either kind's revisions read alike here.
  const revisions = (query.data?.pages.flatMap((page) => page.items) ?? []) as Revision[];
  const now = current ?? revisions[0]?.snapshot;
  // Names for every agent the history mentions (agent lists, handoff targets, the greeter),
  // fetched by id: deleted ones show their last name, marked.
  const mentioned = new Set<string>();
  for (const revision of revisions) {
    idsIn(revision.changes, mentioned);
    if ('agentVersions' in revision && revision.agentVersions)
      idsIn(Object.keys(revision.agentVersions), mentioned);
  }
  if (now)
    idsIn(
      kind === 'agent'
        ? (now as { handoffTargets: string[] }).handoffTargets
        : (now as { agentIds: string[] }).agentIds,
      mentioned,
    );
  const { nameOf } = useAgentsById([...mentioned]);

  return (
    <Card aria-labelledby={`history-${id}`} className="mt-8">
      <h2 id={`history-${id}`} className="flex items-center gap-2 text-lg font-semibold">
        <History aria-hidden className="h-5 w-5" /> History
      </h2>
      {query.isError ? (
        <Notice>{serverError(query.error).message}</Notice>
      ) : query.isLoading ? (
        <Spinner label="Loading history" />
      ) : (
        <ol className="mt-4 divide-y divide-zinc-200 dark:divide-zinc-800">
          {revisions.map((revision) => {
            const isCurrent =
              now?.version === revision.version && now.isActive === revision.snapshot.isActive;
            const restoreChanges = now ? differences(kind, now, revision.snapshot) : [];
            return (
              <li
                key={revision.version}
                id={`version-${revision.version}`}
                aria-label={`Version ${revision.version}`}
                className={
                  highlight === revision.version ? 'bg-amber-50 px-2 py-3 dark:bg-amber-950/40' : 'py-3'
                }
              >
                <div className="flex flex-wrap items-center gap-2">
                  <Badge
                    tone={
                      revision.action === 'restored'
                        ? 'accent'
                        : revision.action === 'deleted'
                          ? 'warn'
                          : 'neutral'
                    }
                  >
                    {ACTION_LABELS[revision.action]}
                  </Badge>
                  <span className="font-medium">Version {revision.version}</span>
                  <span className="text-sm text-zinc-600 dark:text-zinc-400">
                    by {revision.actor.name} ·{' '}
                    <time dateTime={revision.at}>{new Date(revision.at).toLocaleString()}</time>
                  </span>
                  {isCurrent && <Badge tone="accent">Current</Badge>}
                  {canRestore && !isCurrent && revision.action !== 'deleted' && now && (
                    <span className="ml-auto">
                      <ConfirmButton
                        variant="primary"
                        label={`Restore version ${revision.version}`}
                        title={`Restore version ${revision.version}?`}
                        description={
                          <>
                            A new version {now.version + 1} is made with the configuration of version{' '}
                            {revision.version}
                            {now.isActive ? '' : `, and the deleted ${history.label} becomes active again`}.
                            {restoreChanges.length ? (
                              <ChangeList changes={restoreChanges} nameOf={nameOf} />
                            ) : (
                              ' No setting changes.'
                            )}
                          </>
                        }
                        confirmLabel="Restore"
                        onConfirm={async () => {
                          try {
                            const restored: Entity = await restore.mutateAsync({
                              id,
                              toVersion: revision.version,
                              version: now.version,
                            });
                            toast.success(
                              `Restored version ${revision.version} as version ${restored.version}`,
                            );
                            await query.refetch();
                            await onRestored(restored);
                          } catch (error) {
                            toast.error(serverError(error).message);
                          }
                        }}
                      />
                    </span>
                  )}
                </div>
                {revision.changes.length > 0 && <ChangeList changes={revision.changes} nameOf={nameOf} />}
                {'agentVersions' in revision && Object.keys(revision.agentVersions).length > 0 && (
                  <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                    Ran with{' '}
                    {(revision.snapshot as SessionTemplate).agentIds
                      .map((agentId) => `${nameOf(agentId)} v${revision.agentVersions[agentId] ?? '?'}`)
                      .join(', ')}
                  </p>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {query.hasNextPage && (
        <Button
          variant="secondary"
          className="mt-2"
          disabled={query.isFetchingNextPage}
          onClick={() => void query.fetchNextPage()}
        >
          {query.isFetchingNextPage ? 'Loading…' : 'Older versions'}
        </Button>
      )}
    </Card>
  );
}
