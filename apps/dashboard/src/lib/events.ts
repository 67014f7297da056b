import type { AuditEvent } from '@switchboard/client';
import { useEffect } from 'react';
import { queryClient, trpc } from './api';
import { session } from './session';

type Listener = (event: AuditEvent) => void;
const listeners = new Set<Listener>();
let stream: AbortController | null = null;

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
    void queryClient.invalidateQueries(trpc.environments.list.pathFilter());
  }
  if (kind === 'webhook') void queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
  void queryClient.invalidateQueries(trpc.audit.list.pathFilter());
}

/**
 * Reads `GET /api/v1/events` for as long as someone is signed in (fetch, not EventSource, so the
 * token goes in a header), resuming after the last event on a dropped connection.
 */
async function run(controller: AbortController) {
  let last: number | null = null;
  while (!controller.signal.aborted) {
    const token = session.token();
    if (!token) return;
    try {
      const response = await fetch('/api/v1/events', {
        headers: {
          authorization: `Bearer ${token}`,
          ...(last !== null ? { 'last-event-id': String(last) } : {}),
        },
        signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block
            .split('\n')
            .find((line) => line.startsWith('data: '))
            ?.slice(6);
          if (data) {
            const event = JSON.parse(data) as AuditEvent;
            last = event.sequence ?? last;
            refresh(event);
            for (const listener of listeners) listener(event);
          }
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    // Dropped (a restart, a network change): try again shortly, from the last event seen.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** Keeps the live stream open while the signed-in layout is shown. */
export function useLiveEvents() {
  useEffect(() => {
    stream = new AbortController();
    void run(stream);
    return () => {
      stream?.abort();
      stream = null;
    };
  }, []);
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
