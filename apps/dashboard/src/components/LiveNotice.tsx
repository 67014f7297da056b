import type { AuditEvent } from '@switchboard/client';
import { useCallback, useState } from 'react';
import { useChangeEvent } from '../lib/events';
import { session } from '../lib/session';
import { Button, Notice } from './ui';

/**
 * Says, the moment it happens, that someone else changed (or deleted) what this page shows, with a
 * reload; the page keeps what is being edited until then.
 */
export function LiveNotice({
  kind,
  id,
  onReload,
}: {
  kind: 'agent' | 'sessionTemplate';
  id: string;
  onReload: () => void | Promise<void>;
}) {
  const [change, setChange] = useState<AuditEvent | null>(null);
  const listener = useCallback(
    (event: AuditEvent) => {
      if (event.resource.type !== kind || event.resource.id !== id) return;
      if (event.actor.type === 'user' && event.actor.id === session.get()?.user.id) return;
      setChange(event);
    },
    [kind, id],
  );
  useChangeEvent(listener);
  if (!change) return null;
  const deleted = change.action.endsWith('.deleted');
  return (
    <div className="mb-4">
      <Notice tone="info">
        <div className="flex flex-wrap items-center gap-3">
          <span className="mr-auto">
            {deleted ? 'Deleted' : 'Changed'} by {change.actor.name} just now
            {change.version !== null && !deleted ? ` (version ${change.version})` : ''}.
          </span>
          {!deleted && (
            <Button
              variant="secondary"
              onClick={async () => {
                await onReload();
                setChange(null);
              }}
            >
              Reload
            </Button>
          )}
          <Button variant="ghost" onClick={() => setChange(null)}>
            Dismiss
          </Button>
        </div>
      </Notice>
    </div>
  );
}
