import type { Release } from '@switchboard/client';
import { idsIn, useAgentsById } from '../lib/agents';
import { serverError } from '../lib/api';
import { type ReleaseChange, useReleaseChange } from '../lib/releases';
import { ChangeList } from './HistoryPanel';
import { Notice, Spinner } from './ui';

/**
 * What a release change does, in the revision-diff style: the template's settings that change,
 * then each agent whose version moves (added, removed, or which fields change).
 */
export function ReleaseChangeView({ change }: { change: ReleaseChange }) {
  const { nameOf } = useAgentsById([...idsIn(change.fields)]);
  const unchanged = !change.fields.length && !change.agents.length;
  const sameVersion = change.from !== null && change.from.templateVersion === change.to.templateVersion;
  return (
    <div className="grid gap-2 text-sm">
      <p>
        <span className="font-medium">{change.templateName}</span>:{' '}
        {sameVersion ? (
          // The template itself does not change, only agents: no "version 5 → version 5".
          `version ${change.to.templateVersion}, agents changed`
        ) : (
          <>
            {change.from ? `version ${change.from.templateVersion}` : 'nothing served'}
            <span aria-hidden> → </span>
            <span className="sr-only"> becomes </span>
            version {change.to.templateVersion}
          </>
        )}
      </p>
      {unchanged && !change.endedCanary && (
        <p className="text-zinc-600 dark:text-zinc-400">Nothing a session gets changes.</p>
      )}
      {change.endedCanary && (
        <p>
          Its canary (version {change.endedCanary.templateVersion}, {change.endedCanary.percent}% of sessions)
          ends.
        </p>
      )}
      {change.fields.length > 0 && <ChangeList changes={change.fields} nameOf={nameOf} />}
      {change.agents.length > 0 && (
        <ul className="grid gap-2" aria-label={`Agents that change in ${change.templateName}`}>
          {change.agents.map((agent) => (
            <li key={agent.agentId} className="rounded border border-zinc-200 p-2 dark:border-zinc-800">
              <span className="font-medium">{agent.name}</span>:{' '}
              {agent.fromVersion === null
                ? `added at v${agent.toVersion}`
                : agent.toVersion === null
                  ? `removed (was v${agent.fromVersion})`
                  : `v${agent.fromVersion} → v${agent.toVersion}`}
              {agent.fields.length > 0 && <ChangeList changes={agent.fields} nameOf={nameOf} />}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The change from one release of a template to another, read from the revisions as the dialog opens. */
export function ReleaseDiff({
  template,
  from,
  to,
}: {
  template: { id: string; name: string };
  from: Release | null;
  to: Release;
}) {
  const change = useReleaseChange(template, from, to);
  if (change.isError) return <Notice>{serverError(change.error).message}</Notice>;
  if (!change.data) return <Spinner label="Comparing the releases" />;
  return <ReleaseChangeView change={change.data} />;
}
