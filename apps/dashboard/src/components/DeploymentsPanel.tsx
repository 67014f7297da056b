import type { Deployment, Environment, Release, SessionTemplate } from '@switchboard/client';
import { rollbackTarget, sameRelease } from '@switchboard/contract';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { Rocket } from 'lucide-react';
import { useId, useState } from 'react';
import { toast } from 'sonner';
import { useAgentsById } from '../lib/agents';
import { client, serverError, trpc } from '../lib/api';
import { invalidateFor } from '../lib/invalidation';
import { describeRelease } from '../lib/releases';
import { CanaryWatch, DEFAULT_GUARD, GuardFields, guardInput } from './CanaryGuard';
import { ReleaseDiff } from './ReleaseChangeView';
import { ReleaseHistory } from './ReleaseHistory';
import { DryRun } from './ReleasePlan';
import { Badge, Card, ConfirmButton, inputClass, Notice, Spinner } from './ui';

/**
 * Where this template is deployed: each environment's stable release and canary, its release
 * history, and (for admins) deploy the current version with a note, start a canary or change its
 * share (its release stays), promote or abort it, roll back to what the environment served before
 * (or any older release) and undeploy, each behind a confirmation that shows the server's dry run:
 * what changes, and the warnings it earns.
 */
export function DeploymentsPanel({
  template,
  canDeploy,
  unsavedEdits = false,
}: {
  template: SessionTemplate;
  canDeploy: boolean;
  /** The form on the page holds edits not saved yet: every release dialog says they are not in it. */
  unsavedEdits?: boolean;
}) {
  const environments = useQuery(trpc.environments.list.queryOptions());
  const manual = (environments.data?.items ?? []).filter((environment) => !environment.followsLatest);
  const deployments = useQueries({
    queries: manual.map((environment) => ({
      ...trpc.deployments.list.queryOptions({ environment: environment.name, templateId: template.id }),
      // A watching guard writes its latest figures without a change event: read them while it watches.
      refetchInterval: (query: { state: { data?: { items: Deployment[] } } }) =>
        query.state.data?.items.some((item) => item.canary?.guard?.status === 'watching') ? 5_000 : false,
    })),
  });
  // The session as it stands now: the template's version with each agent's current version.
  const { byId, nameOf, isLoading } = useAgentsById(template.agentIds);
  const current: Release | null = isLoading
    ? null
    : {
        templateVersion: template.version,
        agentVersions: Object.fromEntries(template.agentIds.map((id) => [id, byId.get(id)?.version ?? 0])),
      };

  return (
    <Card aria-labelledby={`deployments-${template.id}`} className="mt-8">
      <h2 id={`deployments-${template.id}`} className="flex items-center gap-2 text-lg font-semibold">
        <Rocket aria-hidden className="h-5 w-5" /> Deployments
      </h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        What each environment serves. One that follows latest serves every save at once; the others serve only
        what is deployed to them, so a change can be tried, given to a share of sessions, and rolled back.{' '}
        <Link to="/environments" className="text-indigo-700 underline dark:text-indigo-300">
          Manage environments
        </Link>
      </p>
      {environments.isError ? (
        <Notice>{serverError(environments.error).message}</Notice>
      ) : !environments.data ? (
        <Spinner />
      ) : (
        <ul className="mt-4 divide-y divide-zinc-200 dark:divide-zinc-800">
          {environments.data.items
            .filter((environment) => environment.followsLatest)
            .map((environment) => (
              <li key={environment.id} className="py-3 text-sm">
                <span className="font-medium">{environment.name}</span> <Badge>follows latest</Badge>
                <span className="ml-2 text-zinc-600 dark:text-zinc-400">
                  serves version {template.version} now
                </span>
              </li>
            ))}
          {manual.map((environment, index) => {
            const query = deployments[index];
            return (
              <li key={environment.id} className="py-3">
                {query?.isError ? (
                  <Notice>{serverError(query.error).message}</Notice>
                ) : !query?.data ? (
                  <Spinner />
                ) : (
                  <EnvironmentRow
                    environment={environment}
                    template={template}
                    deployment={query.data.items[0] ?? null}
                    current={current}
                    nameOf={nameOf}
                    canDeploy={canDeploy}
                    unsavedEdits={unsavedEdits}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

function EnvironmentRow({
  environment,
  template,
  deployment,
  current,
  nameOf,
  canDeploy,
  unsavedEdits,
}: {
  environment: Environment;
  template: SessionTemplate;
  deployment: Deployment | null;
  current: Release | null;
  nameOf: (id: string) => string;
  canDeploy: boolean;
  unsavedEdits: boolean;
}) {
  const _queryClient = useQueryClient();
  const shareId = useId();
  const noteId = useId();
  const rollbackToId = useId();
  const name = environment.name;
  const target = { environment: name, templateId: template.id };
  const stable = deployment?.stable ?? null;
  const canary = deployment?.canary ?? null;
  const [share, setShare] = useState(canary?.percent ?? 10);
  const [note, setNote] = useState('');
  const [guardForm, setGuardForm] = useState(DEFAULT_GUARD);
  const { guard } = guardInput(guardForm);
  const guardValid = !guardForm.enabled || guard !== undefined;
  const guardInputField = guard ? { guard } : {};
  const [historyOpen, setHistoryOpen] = useState(false);
  const records = useQuery(trpc.deployments.history.queryOptions({ ...target, limit: 100 }));
  const choices = (records.data?.items ?? []).filter(
    (record) => record.stable !== null && (stable === null || !sameRelease(record.stable, stable)),
  );
  const fallback = rollbackTarget(records.data?.items ?? [], stable);
  const [toRecord, setToRecord] = useState<number | null>(null);
  const rollbackTo = choices.find((record) => record.number === toRecord) ?? fallback;
  const deploy = useMutation(trpc.deployments.deploy.mutationOptions());
  const rollback = useMutation(trpc.deployments.rollback.mutationOptions());
  const ramp = useMutation(trpc.deployments.rampCanary.mutationOptions());
  const promoteCanary = useMutation(trpc.deployments.promoteCanary.mutationOptions());
  const abortCanary = useMutation(trpc.deployments.abortCanary.mutationOptions());
  const undeploy = useMutation(trpc.deployments.undeploy.mutationOptions());
  const shareValid = Number.isInteger(share) && share >= 1 && share <= 99;
  const version = deployment ? { version: deployment.version } : {};
  const noteInput = note.trim() ? { note: note.trim() } : {};
  // What the working copy would change here: nothing when it is exactly the stable, with no canary.
  const currentIsStable = current !== null && stable !== null && sameRelease(current, stable);
  const currentIsCanary = current !== null && canary !== null && sameRelease(current, canary);

  const run = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      setNote('');
      setToRecord(null);
      await invalidateFor({ type: 'deployment' });
      toast.success(done);
    } catch (error) {
      toast.error(serverError(error).message);
    }
  };

  const unsavedNotice = unsavedEdits && (
    <div className="mb-3">
      <Notice tone="warn">
        Unsaved edits in the form are not part of this release: it is version {current?.templateVersion} as
        saved. Save first to ship them.
      </Notice>
    </div>
  );

  const noteField = (
    <div className="mt-4 grid gap-1">
      <label htmlFor={noteId} className="text-sm font-medium">
        Note (optional)
      </label>
      <input
        id={noteId}
        value={note}
        maxLength={1000}
        onChange={(event) => setNote(event.target.value)}
        placeholder="Why, for the release history"
        className={inputClass}
      />
    </div>
  );

  return (
    <div className="grid gap-2 text-sm">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <span className="font-medium">{name}</span>
        {stable ? (
          <span>
            Stable: {describeRelease(stable, nameOf)}
            {canary && (
              <>
                {' · '}
                <Badge tone="warn">canary {canary.percent}%</Badge> {describeRelease(canary, nameOf)}
              </>
            )}
          </span>
        ) : (
          <span className="text-zinc-600 dark:text-zinc-400">Not deployed: sessions here get 404</span>
        )}
      </div>
      {deployment && (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Release {deployment.version} · by {deployment.deployedBy.name},{' '}
          {new Date(deployment.deployedAt).toLocaleString()}
          {deployment.note ? ` · “${deployment.note}”` : ''}
        </p>
      )}
      {canDeploy && current && (
        <div className="flex flex-wrap items-end gap-2">
          {currentIsStable && !canary ? (
            <span className="text-zinc-600 dark:text-zinc-400">
              Version {current.templateVersion} is what {name} serves.
            </span>
          ) : (
            <ConfirmButton
              label={`Deploy v${current.templateVersion} to ${name}`}
              title={`Deploy version ${current.templateVersion} to ${name}?`}
              description={
                <>
                  {unsavedNotice}
                  <p className="mb-2">
                    Every new session in {name} gets this release
                    {canary ? ', and the running canary ends' : ''}:
                  </p>
                  <DryRun
                    queryKey={['deploy', name, template.id, current, deployment?.version]}
                    run={() => client.deployments.deploy.mutate({ ...target, ...version, dryRun: true })}
                  />
                  {noteField}
                </>
              }
              confirmLabel="Deploy"
              variant="primary"
              onConfirm={() =>
                run(
                  () => deploy.mutateAsync({ ...target, ...version, ...noteInput }),
                  `Deployed version ${current.templateVersion} to ${name}`,
                )
              }
            />
          )}
          {rollbackTo?.stable && (
            <ConfirmButton
              label={`Roll back ${name} to v${(fallback ?? rollbackTo).stable!.templateVersion}`}
              title={`Roll ${name} back to version ${rollbackTo.stable.templateVersion}?`}
              description={
                <>
                  <div className="mb-3 grid gap-1">
                    <label htmlFor={rollbackToId} className="text-sm font-medium">
                      Serve again
                    </label>
                    <select
                      id={rollbackToId}
                      className={inputClass}
                      value={rollbackTo.number}
                      onChange={(event) => setToRecord(Number(event.target.value))}
                    >
                      {choices.map((record) => (
                        <option key={record.number} value={record.number}>
                          {`Release ${record.number}: version ${record.stable!.templateVersion}, ${new Date(record.at).toLocaleString()}`}
                          {record === fallback ? ' (what it served before)' : ''}
                        </option>
                      ))}
                    </select>
                  </div>
                  <p className="mb-2">
                    Every session in {name} gets version {rollbackTo.stable.templateVersion} with the agent
                    versions it ran with{canary ? ', and the running canary ends' : ''}:
                  </p>
                  <DryRun
                    queryKey={['rollback', name, template.id, rollbackTo.number, deployment?.version]}
                    run={() =>
                      client.deployments.rollback.mutate({
                        ...target,
                        ...version,
                        toRecord: rollbackTo.number,
                        dryRun: true,
                      })
                    }
                  />
                  {noteField}
                </>
              }
              confirmLabel="Roll back"
              onConfirm={() =>
                run(
                  () =>
                    rollback.mutateAsync({
                      ...target,
                      ...version,
                      ...noteInput,
                      toRecord: rollbackTo.number,
                    }),
                  `Rolled ${name} back to version ${rollbackTo.stable!.templateVersion}`,
                )
              }
            />
          )}
          {stable && (
            <ConfirmButton
              label={`Undeploy from ${name}`}
              title={`Undeploy “${template.name}” from ${name}?`}
              description={`New sessions of this template in ${name} are refused (404) until it is deployed again.`}
              confirmLabel="Undeploy"
              onConfirm={() => run(() => undeploy.mutateAsync(target), `Undeployed from ${name}`)}
            />
          )}
        </div>
      )}
      {canDeploy && current && stable && (
        <fieldset className="flex flex-wrap items-end gap-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
          <legend className="px-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {canary
              ? `Canary: version ${canary.templateVersion} serves ${canary.percent}% of ${name}'s sessions`
              : `Canary: try version ${current.templateVersion} on a share of ${name}'s sessions first`}
          </legend>
          {!canary && currentIsStable ? (
            <p className="text-zinc-600 dark:text-zinc-400">
              Version {current.templateVersion} is {name}'s stable release: save a change to try it as a
              canary.
            </p>
          ) : (
            <>
              <div className="grid gap-1">
                <label htmlFor={shareId} className="text-xs font-medium">
                  Canary share in {name} (%)
                </label>
                <input
                  id={shareId}
                  type="number"
                  min={1}
                  max={99}
                  value={Number.isNaN(share) ? '' : share}
                  onChange={(event) => setShare(event.target.valueAsNumber)}
                  aria-invalid={!shareValid}
                  aria-describedby={shareValid ? undefined : `${shareId}-error`}
                  className={`${inputClass} w-24`}
                />
                {!shareValid && (
                  <span id={`${shareId}-error`} className="text-xs text-red-700 dark:text-red-300">
                    1 to 99
                  </span>
                )}
              </div>
              {canary ? (
                <ConfirmButton
                  label={`Set canary share to ${shareValid ? share : '…'}%`}
                  title={`Give the canary ${share}% of ${name}'s sessions?`}
                  description={
                    <>
                      <p className="mb-2">
                        The canary keeps its release, version {canary.templateVersion}; only its share
                        changes, from {canary.percent}% to {share}%. Raising it only moves sessions from the
                        stable to the canary.
                      </p>
                      <DryRun
                        queryKey={['ramp', name, template.id, share, deployment?.version]}
                        run={() =>
                          client.deployments.rampCanary.mutate({
                            ...target,
                            ...version,
                            percent: share,
                            dryRun: true,
                          })
                        }
                      />
                    </>
                  }
                  confirmLabel="Change the share"
                  variant="primary"
                  disabled={!shareValid || share === canary.percent}
                  onConfirm={() =>
                    run(
                      () => ramp.mutateAsync({ ...target, ...version, percent: share }),
                      `Canary at ${share}% in ${name}, still version ${canary.templateVersion}`,
                    )
                  }
                />
              ) : (
                <ConfirmButton
                  label={`Canary v${current.templateVersion} to ${shareValid ? share : '…'}%`}
                  title={`Give version ${current.templateVersion} to ${share}% of ${name}'s sessions?`}
                  description={
                    <>
                      {unsavedNotice}
                      <p className="mb-2">
                        Sessions whose key falls in the first {share}% get the canary; the others keep the
                        stable. The same session key always gets the same release.
                      </p>
                      <DryRun
                        queryKey={['canary', name, template.id, current, share, deployment?.version]}
                        run={() =>
                          client.deployments.deploy.mutate({
                            ...target,
                            ...version,
                            canaryPercent: share,
                            dryRun: true,
                          })
                        }
                      />
                      <GuardFields form={guardForm} onChange={setGuardForm} />
                      {noteField}
                    </>
                  }
                  confirmLabel="Start canary"
                  variant="primary"
                  disabled={!shareValid}
                  confirmDisabled={!guardValid}
                  onConfirm={() =>
                    run(
                      () =>
                        deploy.mutateAsync({
                          ...target,
                          ...version,
                          ...noteInput,
                          ...guardInputField,
                          canaryPercent: share,
                        }),
                      guard ? `Guarded canary at ${share}% in ${name}` : `Canary at ${share}% in ${name}`,
                    )
                  }
                />
              )}
            </>
          )}
          {canary && deployment && <CanaryWatch environment={name} deployment={{ ...deployment, canary }} />}
          {canary && (
            <>
              <ConfirmButton
                label={`Promote canary in ${name}`}
                title={`Make the canary the stable release of ${name}?`}
                description={
                  <>
                    <p className="mb-2">Every session in {name} gets the canary's release:</p>
                    <ReleaseDiff template={template} from={stable} to={canary} />
                  </>
                }
                confirmLabel="Promote canary"
                variant="primary"
                onConfirm={() => run(() => promoteCanary.mutateAsync(target), `Canary promoted in ${name}`)}
              />
              <ConfirmButton
                label={`Abort canary in ${name}`}
                title={`End the canary in ${name}?`}
                description={
                  <>
                    <p className="mb-2">The canary's sessions go back to the stable release:</p>
                    <ReleaseDiff template={template} from={canary} to={stable} />
                  </>
                }
                confirmLabel="Abort canary"
                onConfirm={() => run(() => abortCanary.mutateAsync(target), `Canary aborted in ${name}`)}
              />
              {!currentIsCanary && !currentIsStable && (
                <p className="basis-full text-xs text-zinc-600 dark:text-zinc-400">
                  Version {current.templateVersion} is not in this canary: promote or abort it before trying
                  version {current.templateVersion} as a canary.
                </p>
              )}
            </>
          )}
        </fieldset>
      )}
      {(deployment !== null || (records.data?.items.length ?? 0) > 0) && (
        <details
          className="rounded-md border border-zinc-200 p-3 dark:border-zinc-800"
          onToggle={(event) => setHistoryOpen(event.currentTarget.open)}
        >
          <summary className="cursor-pointer text-sm font-medium">Release history in {name}</summary>
          {historyOpen && (
            <div className="mt-2">
              <ReleaseHistory environment={name} templateId={template.id} />
            </div>
          )}
        </details>
      )}
    </div>
  );
}
