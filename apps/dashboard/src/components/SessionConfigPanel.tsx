import type { Agent } from '@switchboard/client';
import { PRODUCTION, renderInstructions, resolveValues, sessionVariables } from '@switchboard/contract';
import { useQuery } from '@tanstack/react-query';
import { PlugZap } from 'lucide-react';
import { useId, useState } from 'react';
import { queryClient, serverError, trpc } from '../lib/api';
import { type TryAnswer, TryVariables } from './TryVariables';
import { Badge, Button, Card, CopyButton, inputClass, Notice, Spinner } from './ui';

/** The environment select's value for the working copy: what is saved now, served nowhere yet. */
const WORKING_COPY = '';

/** What the server answers a try in an environment: the agents rendered, the wrong values, or why not. */
async function tryOnServer(
  id: string,
  environment: string,
  sessionKey: string,
  variables: Record<string, unknown>,
): Promise<TryAnswer> {
  try {
    const config = await queryClient.fetchQuery({
      ...trpc.sessionTemplates.config.queryOptions({
        id,
        environment,
        ...(sessionKey ? { sessionKey } : {}),
        variables,
      }),
      staleTime: 0,
      retry: false,
    });
    return { agents: config.agents };
  } catch (error) {
    const problem = serverError(error);
    const issues = (problem.details.issues ?? []) as { path: string[]; message: string }[];
    return issues.length ? { issues } : { problem: problem.message };
  }
}

/**
 * The working copy rendered as a runtime would get it once it is served: the contract's own merge,
 * value checks and renderer, the functions the server runs.
 */
function tryWorkingCopy(agents: Agent[], given: Record<string, unknown>): TryAnswer {
  const resolved = resolveValues(sessionVariables(agents), given);
  if ('issues' in resolved) return { issues: resolved.issues };
  return {
    agents: agents.map((agent) => ({
      id: agent.id,
      name: agent.name,
      renderedInstructions: renderInstructions(agent.instructions, resolved.values),
    })),
  };
}

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
  const working = environment === WORKING_COPY;
  const config = useQuery({
    ...trpc.sessionTemplates.config.queryOptions({ id, environment, ...(key ? { sessionKey: key } : {}) }),
    enabled: open && !working,
    staleTime: 0,
  });
  // The working copy: the template and its agents as saved now, read afresh.
  const savedTemplate = useQuery({
    ...trpc.sessionTemplates.get.queryOptions({ id }),
    enabled: open && working,
    staleTime: 0,
  });
  const agentIds = savedTemplate.data?.agentIds ?? [];
  const savedAgents = useQuery({
    ...trpc.agents.getMany.queryOptions({ ids: agentIds }),
    enabled: open && working && agentIds.length > 0,
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
                <option value={WORKING_COPY}>Working copy (not deployed)</option>
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
          {working ? (
            <WorkingCopy agents={savedAgents.data?.items} error={savedTemplate.error ?? savedAgents.error} />
          ) : (
            <>
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
                <TryVariables
                  key={`${environment}|${key}`}
                  variables={config.data.variables}
                  render={(values) => tryOnServer(id, environment, key, values)}
                />
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
            </>
          )}
        </div>
      )}
    </Card>
  );
}

/** The working copy: said plainly to be served nowhere yet, and tried with the contract's renderer. */
function WorkingCopy({ agents, error }: { agents: Agent[] | undefined; error: unknown }) {
  if (error) return <Notice>{serverError(error).message}</Notice>;
  if (!agents) return <Spinner label="Reading the working copy" />;
  const variables = sessionVariables(agents);
  return (
    <div className="space-y-3">
      <p className="text-sm">
        The working copy is the template and its agents as saved now. A runtime gets it where an environment
        follows latest, or once it is deployed.
      </p>
      {variables.length ? (
        <TryVariables
          key="working-copy"
          variables={variables}
          render={async (values) => tryWorkingCopy(agents, values)}
        />
      ) : (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Its agents declare no variables.</p>
      )}
    </div>
  );
}
