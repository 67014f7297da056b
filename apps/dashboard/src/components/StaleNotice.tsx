import { useState } from 'react';
import { idsIn, useAgentsById } from '../lib/agents';
import { differences, type Entity, FIELD_LABELS, type HistoryKind } from '../lib/history';
import { ChangeList } from './HistoryPanel';
import { Button, Notice } from './ui';

/**
 * A save refused because someone else saved first, said next to the Save button: what they
 * changed (in the history's diff style), and the person's choice: keep their own edits on top of
 * the new version (the next save sends it), or discard them and load the new version.
 */
export function StaleNotice({
  kind,
  base,
  current,
  onKeepMine,
  onDiscardMine,
}: {
  kind: HistoryKind;
  /** The version the person's edits started from. */
  base: Entity;
  /** The version now saved. */
  current: Entity;
  onKeepMine: () => void;
  onDiscardMine: () => void;
}) {
  const [showing, setShowing] = useState(false);
  const theirs = differences(kind, base, current);
  const { nameOf } = useAgentsById([...idsIn(theirs)]);
  return (
    <Notice>
      <p className="font-medium">
        Not saved: someone saved version {current.version} since you opened version {base.version}.
      </p>
      <p className="mt-1">
        They changed{' '}
        {theirs.length
          ? theirs.map((change) => FIELD_LABELS[change.field] ?? change.field).join(', ')
          : 'nothing you can see (only its history moved)'}
        . Your edits are still here.
      </p>
      {showing && theirs.length > 0 && <ChangeList changes={theirs} nameOf={nameOf} />}
      <div className="mt-3 flex flex-wrap gap-2">
        {theirs.length > 0 && (
          <Button variant="secondary" aria-expanded={showing} onClick={() => setShowing((shown) => !shown)}>
            {showing ? 'Hide their changes' : 'Show their changes'}
          </Button>
        )}
        <Button onClick={onKeepMine}>Keep mine on version {current.version}</Button>
        <Button variant="secondary" onClick={onDiscardMine}>
          Discard mine and load version {current.version}
        </Button>
      </div>
    </Notice>
  );
}
