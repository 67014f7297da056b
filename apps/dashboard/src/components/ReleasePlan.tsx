import type { ReleaseWarning, RouterOutputs } from '@switchboard/client';
import { useQuery } from '@tanstack/react-query';
import { serverError } from '../lib/api';
import { ReleaseChangeView } from './ReleaseChangeView';
import { Notice, Spinner } from './ui';

/** A plan as the server answers it (a promotion, or a dry run's `plan`). */
type PromotionPlan = RouterOutputs['deployments']['promote'];

/** What a release earns a second look for (docs/api.md "Releases"), one line each, before it is confirmed. */
export function ReleaseWarnings({
  warnings,
  templateNames,
}: {
  warnings: ReleaseWarning[];
  /** Names the template of each warning when a plan moves several. */
  templateNames?: Map<string, string>;
}) {
  if (!warnings.length) return null;
  return (
    <Notice tone="warn">
      <p className="font-medium">Check before you confirm</p>
      <ul className="mt-1 list-disc pl-5">
        {warnings.map((warning) => (
          <li key={`${warning.code}:${warning.templateId}:${warning.name ?? ''}`}>
            {templateNames && templateNames.size > 1 ? `${templateNames.get(warning.templateId)}: ` : ''}
            {warning.message}
          </li>
        ))}
      </ul>
    </Notice>
  );
}

/** Every template a plan moves (settings, agents, the canary that ends), then its warnings. */
export function PlanView({ plan, empty }: { plan: PromotionPlan; empty: string }) {
  const names = new Map(plan.changes.map((change) => [change.templateId, change.templateName]));
  return (
    <div className="grid gap-3">
      {!plan.changes.length ? (
        <p>{empty}</p>
      ) : (
        <ul className="grid gap-3">
          {plan.changes.map((change) => (
            <li key={change.templateId}>
              <ReleaseChangeView change={change} />
            </li>
          ))}
        </ul>
      )}
      <ReleaseWarnings warnings={plan.warnings} templateNames={names} />
    </div>
  );
}

/**
 * The server's dry run of a release action, asked as the dialog that shows it opens: exactly what
 * the action would change and the warnings it earns, and nothing changes.
 */
export function DryRun({
  queryKey,
  run,
  empty = 'Nothing a session gets changes.',
}: {
  queryKey: readonly unknown[];
  /** The action with `dryRun: true`: a promotion's plan, or a deploy's, rollback's or ramp's `{ plan }`. */
  run: () => PromiseLike<object>;
  empty?: string;
}) {
  const dryRun = useQuery({
    queryKey: ['dryRun', ...queryKey],
    queryFn: async () => {
      const answer = (await run()) as PromotionPlan | { plan?: PromotionPlan };
      if ('changes' in answer) return answer;
      if (answer.plan) return answer.plan;
      throw new Error('The server answered no plan');
    },
    gcTime: 0,
    staleTime: 0,
    retry: false,
  });
  if (dryRun.isError) return <Notice>{serverError(dryRun.error).message}</Notice>;
  if (!dryRun.data) return <Spinner label="Working out what changes" />;
  return <PlanView plan={dryRun.data} empty={empty} />;
}
