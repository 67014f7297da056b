import type { Deployment, Environment, Release, SessionTemplate } from '@switchboard/client';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { Rocket } from 'lucide-react';
import { useId, useState } from 'react';
import { toast } from 'sonner';
import { useAgentsById } from '../lib/agents';
import { client, serverError, trpc } from '../lib/api';
import { describeRelease } from '../lib/releases';
import { ReleaseDiff } from './ReleaseChangeView';
import { Badge, Card, ConfirmButton, inputClass, Notice, Spinner } from './ui';

/**
 * Where this template is deployed: each environment's stable release and canary, and (for admins)
 * deploy the current version, start or resize a canary, promote or abort it, roll back to the
 * previous version and undeploy, each behind a confirmation that shows what changes.
 */
export function DeploymentsPanel({ template, canDeploy }: { template: SessionTemplate; canDeploy: boolean }) {
  const environments = useQuery(trpc.environments.list.queryOptions());
  const manual = (environments.data?.items ?? []).filter((environment) => !environment.followsLatest);
  const deployments = useQueries({
    queries: manual.map((environment) =>
      trpc.deployments.list.queryOptions({ environment: environment.name, templateId: template.id }),
    ),
  });
  // The session as it stands now: the template's version with each agent's current version.
  const { byId, nameOf, isLoading } = useAgentsById(template.agentIds);
  const current: Release | null = isLoading
    ? null
    : {
        templateVersion: template.version,
        agentVersions: Object.fromEntries(template.agentIds.map((id) => [id, byId.get(id)?.version ?? 0])),
      };
  const revisions = useQuery({
    queryKey: ['history', 'sessionTemplate', template.id, 'deployable'],
    queryFn: () => client.sessionTemplates.revisions.query({ id: template.id, limit: 100 }),
  });

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
                    previous={previousRelease(revisions.data?.items ?? [], query.data.items[0]?.stable)}
                    nameOf={nameOf}
                    canDeploy={canDeploy}
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

/** The newest revision before the stable one that can be deployed: what "roll back" deploys. */
function previousRelease(
  revisions: { version: number; action: string; agentVersions: Record<string, number> }[],
  stable: Release | undefined,
): Release | null {
  if (!stable) return null;
  const previous = revisions.find(
    (revision) => revision.version < stable.templateVersion && revision.action !== 'deleted',
  );
  return previous ? { templateVersion: previous.version, agentVersions: previous.agentVersions } : null;
}

function EnvironmentRow({
  environment,
  template,
  deployment,
  current,
  previous,
  nameOf,
  canDeploy,
}: {
  environment: Environment;
  template: SessionTemplate;
  deployment: Deployment | null;
  current: Release | null;
  previous: Release | null;
  nameOf: (id: string) => string;
  canDeploy: boolean;
}) {
  const queryClient = useQueryClient();
  const shareId = useId();
  const [share, setShare] = useState(deployment?.canary?.percent ?? 10);
  const deploy = useMutation(trpc.deployments.deploy.mutationOptions());
  const promoteCanary = useMutation(trpc.deployments.promoteCanary.mutationOptions());
  const abortCanary = useMutation(trpc.deployments.abortCanary.mutationOptions());
  const undeploy = useMutation(trpc.deployments.undeploy.mutationOptions());
  const name = environment.name;
  const target = { environment: name, templateId: template.id };
  const stable = deployment?.stable ?? null;
  const canary = deployment?.canary ?? null;
  const shareValid = Number.isInteger(share) && share >= 1 && share <= 99;

  const run = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      await queryClient.invalidateQueries(trpc.deployments.list.pathFilter());
      await queryClient.invalidateQueries(trpc.sessionTemplates.config.pathFilter());
      toast.success(done);
    } catch (error) {
      toast.error(serverError(error).message);
    }
  };

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
          Deployment version {deployment.version} · by {deployment.deployedBy.name},{' '}
          {new Date(deployment.deployedAt).toLocaleString()}
          {deployment.note ? ` · “${deployment.note}”` : ''}
        </p>
      )}
      {canDeploy && current && (
        <div className="flex flex-wrap items-end gap-2">
          <ConfirmButton
            label={`Deploy v${current.templateVersion} to ${name}`}
            title={`Deploy version ${current.templateVersion} to ${name}?`}
            description={
              <>
                <p className="mb-2">
                  Every new session in {name} gets this release{canary ? ', and the canary ends' : ''}:
                </p>
                <ReleaseDiff template={template} from={stable} to={current} />
              </>
            }
            confirmLabel="Deploy"
            variant="primary"
            onConfirm={() =>
              run(
                () =>
                  deploy.mutateAsync({ ...target, ...(deployment ? { version: deployment.version } : {}) }),
                `Deployed version ${current.templateVersion} to ${name}`,
              )
            }
          />
          {stable && previous && (
            <ConfirmButton
              label={`Roll back ${name} to v${previous.templateVersion}`}
              title={`Roll ${name} back to version ${previous.templateVersion}?`}
              description={
                <>
                  <p className="mb-2">
                    Every session in {name} gets version {previous.templateVersion} with the agent versions it
                    ran with:
                  </p>
                  <ReleaseDiff template={template} from={stable} to={previous} />
                </>
              }
              confirmLabel="Roll back"
              onConfirm={() =>
                run(
                  () =>
                    deploy.mutateAsync({
                      ...target,
                      templateVersion: previous.templateVersion,
                      version: deployment?.version,
                    }),
                  `Rolled ${name} back to version ${previous.templateVersion}`,
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
            Canary: try version {current.templateVersion} on a share of {name}'s sessions first
          </legend>
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
          <ConfirmButton
            label={`Canary v${current.templateVersion} to ${shareValid ? share : '…'}%`}
            title={`Give version ${current.templateVersion} to ${share}% of ${name}'s sessions?`}
            description={
              <>
                <p className="mb-2">
                  Sessions whose key falls in the first {share}% get the canary; the others keep the stable.
                  The same session key always gets the same release.
                </p>
                <ReleaseDiff template={template} from={stable} to={current} />
              </>
            }
            confirmLabel="Start canary"
            variant="primary"
            disabled={!shareValid}
            onConfirm={() =>
              run(
                () => deploy.mutateAsync({ ...target, canaryPercent: share, version: deployment?.version }),
                `Canary at ${share}% in ${name}`,
              )
            }
          />
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
            </>
          )}
        </fieldset>
      )}
    </div>
  );
}
