import type { UseInfiniteQueryResult } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { Plus, Search } from 'lucide-react';
import type { ReactNode } from 'react';
import { z } from 'zod';
import { Button, inputClass, QueryState } from './ui';

export type ListStatus = 'active' | 'deleted';
/** The search of the agents and templates lists, kept in the URL so a filtered list can be shared. */
export const ListSearch = z.object({
  q: z.string().max(255).optional(),
  status: z.enum(['active', 'deleted']).optional(),
});
export type ListSearch = z.infer<typeof ListSearch>;

/** The list input of a search, `limit` at a time. */
export function listInput({ q, status }: ListSearch, limit: number) {
  return { limit, ...(q ? { search: q } : {}), ...(status === 'deleted' ? { status } : {}) };
}

/** The page's primary action: create one. */
export function NewLink({ to, label }: { to: '/templates/new' | '/agents/new'; label: string }) {
  return (
    <Link
      to={to}
      className="inline-flex items-center gap-2 rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700"
    >
      <Plus aria-hidden className="h-4 w-4" /> {label}
    </Link>
  );
}

/**
 * What the agents and templates lists share: the search box whose text lives in the URL, the
 * list's states (error, loading, empty, items) and "Load more".
 */
export function SearchableList<TPage>({
  what,
  search: { q: search, status = 'active' },
  onSearchChange,
  query,
  isEmpty,
  empty,
  children,
}: {
  what: string;
  /** The list's search in the URL: the name filter, and active entities or the deleted ones (to restore one). */
  search: ListSearch;
  /** Puts a change of the search into the URL. */
  onSearchChange: (change: ListSearch, replace: boolean) => void;
  query: UseInfiniteQueryResult<{ pages: TPage[] }>;
  isEmpty: boolean;
  empty: ReactNode;
  children: ReactNode;
}) {
  return (
    <>
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <div className="relative w-full max-w-sm">
          <label htmlFor={`${what}-search`} className="sr-only">
            Search {what} by name
          </label>
          <Search aria-hidden className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-zinc-500" />
          <input
            id={`${what}-search`}
            type="search"
            placeholder="Search by name"
            defaultValue={search ?? ''}
            className={`${inputClass} pl-9`}
            onChange={(event) => onSearchChange({ q: event.target.value || undefined }, true)}
          />
        </div>
        <label className="flex items-center gap-2 text-sm">
          Show
          <select
            value={status}
            className={`${inputClass} w-auto`}
            onChange={(event) => {
              const status = event.target.value as ListStatus;
              onSearchChange({ status: status === 'active' ? undefined : status }, false);
            }}
          >
            <option value="active">Active {what}</option>
            <option value="deleted">Deleted {what}</option>
          </select>
        </label>
      </div>
      <QueryState query={query}>{() => (isEmpty ? empty : children)}</QueryState>
      {query.hasNextPage && (
        <div className="mt-4 flex justify-center">
          <Button
            variant="secondary"
            disabled={query.isFetchingNextPage}
            onClick={() => void query.fetchNextPage()}
          >
            {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        </div>
      )}
    </>
  );
}
