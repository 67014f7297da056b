import type { RouterOutputs } from '@switchboard/client';
import { PRODUCTION } from '@switchboard/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute } from '@tanstack/react-router';
import { useEffect, useId, useRef, useState } from 'react';
import { toast } from 'sonner';
import { ReleaseChangeView } from '../../components/ReleaseChangeView';
import { ReleaseWarnings } from '../../components/ReleasePlan';
import {
  AdminsOnly,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  inputClass,
  Notice,
  PageHeader,
  Spinner,
} from '../../components/ui';
import { serverError, trpc } from '../../lib/api';
import { invalidateFor } from '../../lib/invalidation';
import { session } from '../../lib/session';

export const Route = createFileRoute('/_app/promote')({ component: Promote });

function Promote() {
  if (!session.isAdmin()) return <AdminsOnly title="Promote" what="promote releases" />;
  return <PromoteForm />;
}

/**
 * Copy the stable releases of one environment to another: choose from and to, read the plan
 * (template settings and every agent that changes), then apply it, all or nothing.
 */
function PromoteForm() {
  const _queryClient = useQueryClient();
  const environments = useQuery(trpc.environments.list.queryOptions());
  const promote = useMutation(trpc.deployments.promote.mutationOptions());
  const fromId = useId();
  const toId = useId();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [plan, setPlan] = useState<RouterOutputs['deployments']['promote'] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // The plan takes the focus when it arrives, so a keyboard or screen reader user is taken to it.
  const planHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (plan) planHeading.current?.focus();
  }, [plan]);
  if (environments.isError) return <Notice>{serverError(environments.error).message}</Notice>;
  if (!environments.data) return <Spinner />;
  const items = environments.data.items;
  // Promotion goes towards production: the target is production when it is manual, else the first
  // manual environment; the source, another environment (a manual one before one that follows latest).
  const targets = items.filter((environment) => !environment.followsLatest);
  const target = targets.some((environment) => environment.name === to)
    ? to
    : ((targets.find((environment) => environment.name === PRODUCTION) ?? targets[0])?.name ?? '');
  const others = items.filter((environment) => environment.name !== target);
  const source = items.some((environment) => environment.name === from)
    ? from
    : ((others.find((environment) => !environment.followsLatest) ?? others[0])?.name ?? '');
  const same = source !== '' && source === target;
  const downgrades = (plan?.changes ?? []).filter(
    (change) => change.from !== null && change.to.templateVersion < change.from.templateVersion,
  );
  const templateNames = new Map(
    (plan?.changes ?? []).map((change) => [change.templateId, change.templateName]),
  );
  const cautions = downgrades.length > 0 || (plan?.warnings.length ?? 0) > 0;
  const downgradeNotice = downgrades.length > 0 && (
    <Notice tone="warn">
      <p className="font-medium">
        {downgrades.length === 1 ? 'A template moves' : `${downgrades.length} templates move`} to a lower
        version
      </p>
      <ul className="mt-1 list-disc pl-5">
        {downgrades.map((change) => (
          <li key={change.templateId}>
            {change.templateName}: version {change.from!.templateVersion} back to version{' '}
            {change.to.templateVersion}
          </li>
        ))}
      </ul>
    </Notice>
  );

  const run = async (dryRun: boolean) => {
    setProblem(null);
    try {
      const result = await promote.mutateAsync({ environment: target, from: source, dryRun });
      setPlan(result);
      if (!dryRun) {
        await invalidateFor({ type: 'environment' });
        toast.success(
          result.applied
            ? `Promoted ${result.changes.length} template${result.changes.length === 1 ? '' : 's'} to ${target}`
            : `Nothing to promote: ${target} already serves what ${source} does`,
        );
      }
    } catch (error) {
      setPlan(null);
      setProblem(serverError(error).message);
    }
  };

  return (
    <>
      <PageHeader
        title="Promote"
        description="Copy what one environment serves to another: see the plan, agent by agent, then apply it in one step."
      />
      <Card>
        <form
          className="grid items-end gap-4 md:grid-cols-[1fr_1fr_auto]"
          onSubmit={(event) => {
            event.preventDefault();
            void run(true);
          }}
        >
          <div className="grid gap-1">
            <label htmlFor={fromId} className="text-sm font-medium">
              From
            </label>
            <select
              id={fromId}
              className={inputClass}
              value={source}
              onChange={(event) => {
                setFrom(event.target.value);
                setPlan(null);
              }}
            >
              {items.map((environment) => (
                <option key={environment.id} value={environment.name}>
                  {environment.name}
                  {environment.followsLatest ? ' (follows latest)' : ''}
                </option>
              ))}
            </select>
          </div>
          <div className="grid gap-1">
            <label htmlFor={toId} className="text-sm font-medium">
              To
            </label>
            <select
              id={toId}
              className={inputClass}
              aria-invalid={same}
              aria-describedby={same ? `${toId}-error` : undefined}
              value={target}
              onChange={(event) => {
                setTo(event.target.value);
                setPlan(null);
              }}
            >
              {targets.map((environment) => (
                <option key={environment.id} value={environment.name}>
                  {environment.name}
                </option>
              ))}
            </select>
            {same && (
              <span id={`${toId}-error`} className="text-xs text-red-700 dark:text-red-300">
                Choose another environment than the one to promote from
              </span>
            )}
          </div>
          <Button type="submit" disabled={!target || !source || same || promote.isPending}>
            Show the plan
          </Button>
        </form>
        {!targets.length && (
          <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">
            Only an environment that does not follow latest can be promoted to: switch one on the Environments
            page.
          </p>
        )}
      </Card>
      {problem && (
        <div className="mt-6">
          <Notice>{problem}</Notice>
        </div>
      )}
      {plan && (
        <section aria-labelledby="plan-heading" className="mt-6 grid gap-4">
          <div className="flex flex-wrap items-center gap-3">
            <h2
              id="plan-heading"
              ref={planHeading}
              tabIndex={-1}
              className="mr-auto text-lg font-semibold outline-none"
            >
              {plan.dryRun ? `What ${target} will change` : `What ${target} changed`}
            </h2>
            {plan.dryRun && plan.changes.length > 0 && (
              <ConfirmButton
                label={`Promote to ${target}`}
                title={`Promote ${plan.changes.length} template${plan.changes.length === 1 ? '' : 's'} from ${source} to ${target}?`}
                description={
                  <div className="grid gap-2">
                    <p>
                      Every new session in {target} gets these releases at once. Nothing is applied if one of
                      them fails.
                    </p>
                    {downgradeNotice}
                    <ReleaseWarnings warnings={plan.warnings} templateNames={templateNames} />
                  </div>
                }
                confirmLabel="Promote"
                variant={cautions ? 'danger' : 'primary'}
                onConfirm={() => run(false)}
              />
            )}
          </div>
          {downgradeNotice}
          <ReleaseWarnings warnings={plan.warnings} templateNames={templateNames} />
          {!plan.changes.length ? (
            <EmptyState title={`${target} already serves what ${source} serves`} />
          ) : (
            <ul className="grid gap-3">
              {plan.changes.map((change) => (
                <li
                  key={change.templateId}
                  className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900"
                >
                  <ReleaseChangeView change={change} />
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
