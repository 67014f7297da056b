import type { AuditEvent } from '@switchboard/client';
import { useEffect } from 'react';
import { client, queryClient, trpc } from './api';
import { session } from './session';

type Listener = (event: AuditEvent) => void;
const listeners = new Set<Listener>();

/** What a change event makes stale: the lists, history and logs that may show it. */
function refresh(event: AuditEvent) {
  const kind = event.resource.type;
  if (kind === 'agent') void queryClient.invalidateQueries(trpc.agents.list.pathFilter());
  if (kind === 'sessionTemplate') void queryClient.invalidateQueries(trpc.sessionTemplates.list.pathFilter());
  if (kind === 'agent' || kind === 'sessionTemplate') {
    // An open form keeps the version it was opened at; what is shown beside it follows the change.
    const id = { id: event.resource.id };
    void queryClient.invalidateQueries({
      queryKey: kind === 'agent' ? trpc.agents.get.queryKey(id) : trpc.sessionTemplates.get.queryKey(id),
    });
    void queryClient.invalidateQueries({ queryKey: ['history', kind, event.resource.id] });
    void queryClient.invalidateQueries({
      queryKey: [kind === 'agent' ? 'agents' : 'sessionTemplates', 'byIds'],
    });
  }
  if (kind === 'deployment' || kind === 'environment') {
    void queryClient.invalidateQueries(trpc.deployments.list.pathFilter());
    void queryClient.invalidateQueries(trpc.deployments.history.pathFilter());
    void queryClient.invalidateQueries(trpc.deployments.metrics.pathFilter());
    void queryClient.invalidateQueries({ queryKey: ['releaseHistory'] });
    void queryClient.invalidateQueries(trpc.environments.list.pathFilter());
  }
  if (kind === 'webhook') void queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
  void queryClient.invalidateQueries(trpc.audit.list.pathFilter());
}

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
        refresh(data);
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
