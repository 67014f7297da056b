import { createClient, type SwitchboardClient, TRPCClientError } from '@switchboard/client';

/**
 * What the two commands of this app (`pnpm seed`, `pnpm switchboard`) share: the typed client, the
 * only way they talk to a server, and one-line reasons for what went wrong.
 */
export function connect(url: string, token?: string): SwitchboardClient {
  return createClient({ url, ...(token ? { token } : {}) });
}

/** The contract's error code of a failed call (undefined when the server was not reached). */
export function errorCode(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

/** The server could not be reached at all. */
export function unreachable(error: unknown): error is TRPCClientError<never> {
  return error instanceof TRPCClientError && !error.data;
}

/** One line that says why a call failed. */
export function reasonOf(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string; httpStatus?: number } | undefined;
    if (!data) return `cannot reach the server (${error.message})`;
    return `${data.httpStatus ?? ''} ${data.code ?? ''}: ${error.message}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
