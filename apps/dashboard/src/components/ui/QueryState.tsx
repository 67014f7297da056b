import type { ReactNode } from 'react';
import { serverError } from '../../lib/api';
import { Notice } from './Notice';
import { Spinner } from './Spinner';

/**
 * What a query shows before its data: the server's error where the data would be, or a spinner that
 * says what is loading; then `children` with the data.
 */
export function QueryState<TData>({
  query,
  loading,
  children,
}: {
  query: { data: TData | undefined; isError: boolean; error: unknown };
  /** What is loading, in words ("Loading deliveries"). */
  loading?: string;
  children: (data: TData) => ReactNode;
}) {
  if (query.isError) return <Notice>{serverError(query.error).message}</Notice>;
  if (query.data === undefined) return <Spinner label={loading} />;
  return children(query.data);
}
