import type { AuditEvent } from '@switchboard/client';
import { useCallback, useState } from 'react';
import { madeHere } from '../lib/api';
import { useChangeEvent } from '../lib/events';
import { session } from '../lib/session';
import { Button, Notice } from './ui';

/**
 * Says, the moment it happens, that another tab or person changed (or deleted) what this page
 * shows, with a reload; the page keeps what is being edited until then. Only this tab's own saves
 * pass in silence (told by the request ids it sends), so the same person in a second tab hears too.
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
      if (madeHere(event)) return;
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
            {deleted ? 'Deleted' : 'Changed'}{' '}
            {change.actor.type === 'user' && change.actor.id === session.get()?.user.id
              ? 'by you in another tab'
              : `by ${change.actor.name}`}{' '}
            just now
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
