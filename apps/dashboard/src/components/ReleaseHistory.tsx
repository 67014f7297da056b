import type { ServedRelease } from '@switchboard/client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { client, pagedList, serverError, trpc } from '../lib/api';
import { RELEASE_ACTION_LABELS } from '../lib/labels';
import { Button, Notice, Spinner } from './ui';

/** What a record serves, in a few words: "v3", "v3, canary v4 at 10%", or nothing fixed. */
export function describeServed(served: ServedRelease): string {
  if (!served.stable) return 'nothing fixed';
  const canary = served.canary
    ? `, canary v${served.canary.templateVersion} at ${served.canary.percent}%`
    : '';
  return `v${served.stable.templateVersion}${canary}`;
}

/**
 * One environment's release history of a template, newest first: every change of what it served,
 * numbered (the numbers never restart), with who, when, what, the note and why the server acted.
 */
export function ReleaseHistory({ environment, templateId }: { environment: string; templateId: string }) {
  const input = { environment, templateId, limit: 20 };
  const history = useInfiniteQuery(
    pagedList(trpc.deployments.history.infiniteQueryKey(input), client.deployments.history, input),
  );
  if (history.isError) return <Notice>{serverError(history.error).message}</Notice>;
  if (!history.data) return <Spinner label="Loading the release history" />;
  const records = history.data.pages.flatMap((page) => page.items);
  if (!records.length) return <p className="text-sm">{environment} has no release of this template yet.</p>;
  return (
    <div className="grid gap-2">
      <div className="relative overflow-x-auto">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Release history of {environment}, newest first</caption>
          <thead className="text-xs text-zinc-600 uppercase dark:text-zinc-400">
            <tr>
              <th scope="col" className="py-2 pr-3 font-medium">
                No.
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                When
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                What
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                Serves
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                Who
              </th>
              <th scope="col" className="py-2 font-medium">
                Note
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
            {records.map((record) => (
              <tr key={record.number}>
                <td className="py-2 pr-3 tabular-nums">{record.number}</td>
                <td className="py-2 pr-3 whitespace-nowrap">
                  <time dateTime={record.at}>{new Date(record.at).toLocaleString()}</time>
                </td>
                <td className="py-2 pr-3">{RELEASE_ACTION_LABELS[record.action]}</td>
                <td className="py-2 pr-3">{describeServed(record)}</td>
                <td className="py-2 pr-3">{record.by.name}</td>
                <td className="py-2">
                  {record.note ?? ''}
                  {record.reason ? <span className="block text-xs">Why: {record.reason}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {history.hasNextPage && (
        <Button
          variant="secondary"
          className="justify-self-start"
          disabled={history.isFetchingNextPage}
          onClick={() => void history.fetchNextPage()}
        >
          {history.isFetchingNextPage ? 'Loading…' : 'Older releases'}
        </Button>
      )}
    </div>
  );
}
