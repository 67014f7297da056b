import type { AuditEvent } from '@switchboard/client';
import { useEffect } from 'react';
import { client } from './api';
import { invalidateFor } from './invalidation';
import { session } from './session';

type Listener = (event: AuditEvent) => void;
const listeners = new Set<Listener>();

/**
 * Follows the change events for as long as someone is signed in, through the typed client's
 * subscription (`events.onChange`, server-sent events with the session's token): a dropped
 * connection resumes after the last event seen; a refused one (an expired session) is tried again
 * every 2 s while someone is signed in.
 */
function follow(): () => void {
  let subscription: { unsubscribe(): void } | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let last: string | undefined;
  let stopped = false;
  const start = () => {
    if (stopped || !session.token()) return;
    subscription = client.events.onChange.subscribe(last === undefined ? {} : { lastEventId: last }, {
      onData: ({ id, data }) => {
        last = id;
        void invalidateFor(data.resource);
        for (const listener of listeners) listener(data);
      },
      onError: () => {
        subscription?.unsubscribe();
        retry = setTimeout(start, 2_000);
      },
    });
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(retry);
    subscription?.unsubscribe();
  };
}

/** Keeps the live stream open while the signed-in layout is shown. */
export function useLiveEvents() {
  useEffect(() => follow(), []);
}

/** Calls `listener` for every change event while the component is mounted. */
export function useChangeEvent(listener: Listener) {
  useEffect(() => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, [listener]);
}
