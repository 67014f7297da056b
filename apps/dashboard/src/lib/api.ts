import { type AppRouter, createClient } from '@switchboard/client';
import { MutationCache, QueryCache, QueryClient, type QueryKey } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { session } from './session';

/** The contract's error as the client receives it. */
export interface ServerError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function serverError(error: unknown): ServerError {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string; details?: Record<string, unknown> } | undefined;
    return {
      code: data?.code ?? 'INTERNAL_SERVER_ERROR',
      message: error.message,
      details: data?.details ?? {},
    };
  }
  return { code: 'NETWORK', message: 'The server could not be reached; try again', details: {} };
}

const isUnauthorized = (error: unknown) => serverError(error).code === 'UNAUTHORIZED';

/** Set by the router: where an expired or revoked session goes (sign-in, then back here). */
let onSessionLost: () => void = () => {};
export function whenSessionLost(handler: () => void) {
  onSessionLost = handler;
}

function handleError(error: unknown) {
  if (isUnauthorized(error) && session.get()) {
    session.set(null);
    onSessionLost();
  }
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: handleError }),
  mutationCache: new MutationCache({ onError: handleError }),
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      retry: (failures, error) =>
        !isUnauthorized(error) && serverError(error).code === 'NETWORK' && failures < 2,
    },
  },
});

/**
 * This tab's own mark: every request it sends carries an `x-request-id` that starts with it, which
 * the server records on the change events the request causes. So a tab tells its own changes from
 * another tab's, even of the same person.
 */
export const TAB_ID = `tab-${Math.random().toString(36).slice(2, 10)}`;
let requests = 0;

/** Whether this tab made the change an event reports. */
export const madeHere = (event: { requestId: string }) => event.requestId.startsWith(`${TAB_ID}.`);

/** The typed client of the API, on the page's own origin, with the signed-in person's token. */
export const client = createClient({
  url: window.location.origin,
  getToken: () => session.token(),
  headers: () => ({ 'x-request-id': `${TAB_ID}.${++requests}` }),
});

export const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });

/** One page of a paginated list. */
interface Page<TItem> {
  items: TItem[];
  nextCursor: string | null;
}

/**
 * A paginated list as an infinite query, the one way the dashboard reads one: keyed by the
 * procedure's own tRPC key (`trpc.<procedure>.infiniteQueryKey(input)`, so its `pathFilter()` in
 * `invalidateFor` reaches it) and read a page at a time through the typed client, `cursor` from the
 * previous page's `nextCursor`. (tRPC's own `infiniteQueryOptions` also sends a `direction` field,
 * which the contract's strict list inputs refuse, as they refuse every unknown field.)
 */
export function pagedList<TInput extends object, TItem>(
  key: QueryKey,
  procedure: { query: (input: TInput) => Promise<Page<TItem>> },
  input: TInput,
) {
  return {
    queryKey: key,
    queryFn: ({ pageParam }: { pageParam: string | undefined }) =>
      procedure.query(pageParam ? { ...input, cursor: pageParam } : input),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: Page<TItem>) => page.nextCursor ?? undefined,
  };
}
