import { PRODUCTION } from '@switchboard/contract';
import { useQuery } from '@tanstack/react-query';
import { PlugZap } from 'lucide-react';
import { useId, useState } from 'react';
import { serverError, trpc } from '../lib/api';
import { TryVariables } from './TryVariables';
import { Badge, Button, Card, CopyButton, inputClass, Notice, Spinner } from './ui';

/**
 * What the session runtime receives for this template at session start (the resolved session
 * config), with a copy button and a ready-to-run curl line using a placeholder key.
 */
export function SessionConfigPanel({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const [environment, setEnvironment] = useState(PRODUCTION);
  const [sessionKey, setSessionKey] = useState('');
  const environmentId = useId();
  const keyId = useId();
  const environments = useQuery({ ...trpc.environments.list.queryOptions(), enabled: open });
  const key = sessionKey.trim();
  const config = useQuery({
    ...trpc.sessionTemplates.config.queryOptions({ id, environment, ...(key ? { sessionKey: key } : {}) }),
    enabled: open,
    staleTime: 0,
  });
  const query = new URLSearchParams({
    ...(environment !== PRODUCTION ? { environment } : {}),
    ...(key ? { sessionKey: key } : {}),
  }).toString();
  const url = `${window.location.origin}/api/v1/session-templates/${id}/config${query ? `?${query}` : ''}`;
  const curl = `curl -s '${url}' -H 'authorization: Bearer sbk_YOUR_KEY'`;
  const json = config.data ? JSON.stringify(config.data, null, 2) : '';

  return (
    <Card aria-labelledby={`config-${id}`} className="mt-8">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id={`config-${id}`} className="mr-auto flex items-center gap-2 text-lg font-semibold">
          <PlugZap aria-hidden className="h-5 w-5" /> Session config
        </h2>
        <Button variant="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide' : 'Show what the runtime receives'}
        </Button>
      </div>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        The session runtime reads this at every session start with an API key: the template, every agent in
        full, who greets first and what the browser may publish.
      </p>
      {open && (
        <div className="mt-4 space-y-4">
          <div className="grid items-start gap-4 sm:grid-cols-2">
            <div className="grid gap-1">
              <label htmlFor={environmentId} className="text-sm font-medium">
                Environment
              </label>
              <select
                id={environmentId}
                className={inputClass}
                value={environment}
                onChange={(event) => setEnvironment(event.target.value)}
              >
                {(
                  environments.data?.items ?? [{ id: PRODUCTION, name: PRODUCTION, followsLatest: true }]
                ).map((item) => (
                  <option key={item.id} value={item.name}>
                    {item.name}
                    {item.followsLatest ? ' (follows latest)' : ''}
                  </option>
                ))}
              </select>
            </div>
            <div className="grid gap-1">
              <label htmlFor={keyId} className="text-sm font-medium">
                Session key
              </label>
              <input
                id={keyId}
                className={inputClass}
                value={sessionKey}
                maxLength={200}
                placeholder="e.g. a call or user id"
                aria-describedby={`${keyId}-hint`}
                onChange={(event) => setSessionKey(event.target.value)}
              />
              <span id={`${keyId}-hint`} className="text-xs text-zinc-600 dark:text-zinc-400">
                With a canary, the key picks the release: the same key always gets the same one.
              </span>
            </div>
          </div>
          {config.data && (
            <p className="text-sm" role="status">
              {config.data.release.arm === 'latest'
                ? `${config.data.environment} follows latest: version ${config.data.release.templateVersion}.`
                : `${key ? `Key “${key}” lands in the` : 'Without a session key:'} ${config.data.release.arm} release of ${config.data.environment}, version ${config.data.release.templateVersion}.`}{' '}
              <Badge tone={config.data.release.arm === 'canary' ? 'warn' : 'accent'}>
                {config.data.release.arm}
              </Badge>
            </p>
          )}
          <div>
            <div className="mb-1 flex flex-wrap items-center justify-between gap-2">
              <span className="text-sm font-medium">Fetch it</span>
              <CopyButton text={curl} label="Copy command" />
            </div>
            {/* Wrapped, not scrolled: it reads on a phone, and the copy button gives it exactly. */}
            <pre className="rounded-md bg-zinc-100 p-3 text-xs break-all whitespace-pre-wrap dark:bg-zinc-950">
              {curl}
            </pre>
          </div>
          {config.data && config.data.variables.length > 0 && (
            <TryVariables id={id} variables={config.data.variables} />
          )}
          {config.isError ? (
            <Notice>{serverError(config.error).message}</Notice>
          ) : config.isLoading ? (
            <Spinner label="Resolving the session config" />
          ) : (
            <div>
              <div className="mb-1 flex flex-wrap items-center justify-between gap-2">
                <span className="min-w-0 text-sm font-medium break-all" id={`json-${id}`}>
                  Resolved JSON (ETag {config.data?.etag})
                </span>
                <CopyButton text={json} label="Copy JSON" />
              </div>
              <section
                // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take the focus to scroll with the keyboard
                tabIndex={0}
                aria-labelledby={`json-${id}`}
                className="max-h-96 overflow-auto rounded-md bg-zinc-100 p-3 dark:bg-zinc-950"
              >
                <pre className="text-xs">{json}</pre>
              </section>
            </div>
          )}
        </div>
      )}
    </Card>
  );
}
