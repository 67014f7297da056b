import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { serverError, trpc } from '../lib/api';
import { HISTORY, type HistoryKind } from '../lib/history';
import { session } from '../lib/session';
import { HistoryPanel } from './HistoryPanel';
import { Notice, PageHeader, Spinner } from './ui';

const PAGES = { agent: '/agents', sessionTemplate: '/templates' } as const;

/** A deleted agent or template: its history, and a restore that makes it active again. */
export function DeletedEntity({ kind, id }: { kind: HistoryKind; id: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { label, latest: newest } = HISTORY[kind];
  // The newest revision: the entity as it was deleted.
  const latest = useQuery({
    ...(newest(id) as ReturnType<typeof HISTORY.agent.latest>),
    select: (page) => page.items[0],
    staleTime: 0,
  });
  if (latest.isError) return <Notice>{serverError(latest.error).message}</Notice>;
  if (!latest.data) return <Spinner />;
  const entity = latest.data.snapshot;
  const list = PAGES[kind];

  return (
    <>
      <PageHeader title={`${entity.name} (deleted)`} description={`Deleted at version ${entity.version}`} />
      <p className="mb-4 text-sm">
        <Link
          to={list}
          search={{ status: 'deleted' }}
          className="text-indigo-700 underline dark:text-indigo-300"
        >
          ← Deleted {label}s
        </Link>
      </p>
      {entity.isActive ? (
        <Notice tone="info">
          This {label} is active again.{' '}
          <Link to={`${list}/$id`} params={{ id }} className="underline">
            Open it
          </Link>
        </Notice>
      ) : (
        <Notice tone="info">
          This {label} is deleted.{' '}
          {session.isAdmin()
            ? 'Restore one of its versions to make it active again.'
            : 'An admin can restore one of its versions.'}
        </Notice>
      )}
      <HistoryPanel
        kind={kind}
        id={id}
        current={entity}
        canRestore={session.isAdmin()}
        onRestored={async (restored) => {
          // The page it goes to starts from the restored version, never from a copy cached before
          // the delete (a save from there would be refused as stale).
          const key =
            kind === 'agent' ? trpc.agents.get.queryKey({ id }) : trpc.sessionTemplates.get.queryKey({ id });
          await queryClient.cancelQueries({ queryKey: key });
          queryClient.setQueryData(key, restored as never);
          await queryClient.invalidateQueries({
            predicate: (query) => JSON.stringify(query.queryKey) !== JSON.stringify(key),
          });
          await navigate({ to: `${list}/$id`, params: { id } });
        }}
      />
    </>
  );
}
