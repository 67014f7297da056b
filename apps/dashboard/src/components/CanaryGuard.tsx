import type { ArmMetrics, Deployment, DeploymentMetrics, GuardSettings } from '@switchboard/client';
import { GuardSettings as GuardSettingsSchema } from '@switchboard/contract';
import { useQuery } from '@tanstack/react-query';
import { ShieldCheck } from 'lucide-react';
import { trpc } from '../lib/api';
import { Badge, Field, inputClass } from './ui';

/**
 * A canary's guard (docs/api.md "Session outcomes and guarded canaries"): the fields of the canary
 * deploy dialog, checked with the contract's own schema, and the guard's status beside a chart of
 * the canary's session outcomes against the stable's.
 */

/** The guard fields as typed (text, so a half-typed number stays on screen). */
export interface GuardForm {
  enabled: boolean;
  /** Percentage points. */
  maxFailureRateIncrease: string;
  maxFirstResponseP95IncreaseMs: string;
  minSessions: string;
  bakeMinutes: string;
  autoPromote: boolean;
}

export const DEFAULT_GUARD: GuardForm = {
  enabled: true,
  maxFailureRateIncrease: '2',
  maxFirstResponseP95IncreaseMs: '',
  minSessions: '200',
  bakeMinutes: '10',
  autoPromote: false,
};

type GuardField = Exclude<keyof GuardForm, 'enabled' | 'autoPromote'>;

/** The guard to send (undefined: none) and each field's error, by the contract's rules. */
export function guardInput(form: GuardForm): {
  guard: GuardSettings | undefined;
  errors: Partial<Record<GuardField, string>>;
} {
  if (!form.enabled) return { guard: undefined, errors: {} };
  const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
  const candidate = {
    maxFailureRateIncrease: number(form.maxFailureRateIncrease) / 100,
    ...(form.maxFirstResponseP95IncreaseMs.trim()
      ? { maxFirstResponseP95IncreaseMs: number(form.maxFirstResponseP95IncreaseMs) }
      : {}),
    minSessions: number(form.minSessions),
    bakeMinutes: number(form.bakeMinutes),
    autoPromote: form.autoPromote,
  };
  const parsed = GuardSettingsSchema.safeParse(candidate);
  if (parsed.success) return { guard: candidate, errors: {} };
  const messages: Record<GuardField, string> = {
    maxFailureRateIncrease: '0 to 100 percentage points',
    maxFirstResponseP95IncreaseMs: 'A whole number of milliseconds, 1 to 600000, or empty',
    minSessions: 'A whole number, 10 to 100000',
    bakeMinutes: 'A whole number of minutes, 0 to 1440',
  };
  const errors: Partial<Record<GuardField, string>> = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as GuardField;
    if (field in messages) errors[field] = messages[field];
  }
  return { guard: undefined, errors };
}

/** The guard's fields in the canary deploy dialog. */
export function GuardFields({ form, onChange }: { form: GuardForm; onChange: (form: GuardForm) => void }) {
  const { errors } = guardInput(form);
  const set = (patch: Partial<GuardForm>) => onChange({ ...form, ...patch });
  const number = (field: GuardField, label: string, hint: string, unit?: string) => (
    <Field label={label} hint={hint} error={errors[field]}>
      {(control) => (
        <span className="flex items-center gap-2">
          <input
            {...control}
            inputMode="decimal"
            value={form[field]}
            onChange={(event) => set({ [field]: event.target.value })}
            className={`${inputClass} w-28`}
          />
          {unit && <span className="text-xs text-zinc-600 dark:text-zinc-400">{unit}</span>}
        </span>
      )}
    </Field>
  );
  return (
    <fieldset className="mt-4 grid gap-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
      <legend className="px-1 text-sm font-medium">Guard</legend>
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          checked={form.enabled}
          onChange={(event) => set({ enabled: event.target.checked })}
          className="mt-0.5 h-4 w-4"
        />
        <span>
          Watch the session outcomes the runtime reports, and abort the canary by itself if it does worse than
          the stable
        </span>
      </label>
      {form.enabled && (
        <div className="grid gap-3 sm:grid-cols-2">
          {number(
            'maxFailureRateIncrease',
            'Allowed rise in failure rate',
            'Above it, and significantly (z-test, 95%), the canary is aborted',
            'points',
          )}
          {number(
            'maxFirstResponseP95IncreaseMs',
            'Allowed rise in first-response p95',
            'Optional: abort when the canary answers this much slower',
            'ms',
          )}
          {number('minSessions', 'Canary sessions before judging', 'Fewer say nothing either way')}
          {number('bakeMinutes', 'Bake time', 'How long it must serve without a breach to pass', 'min')}
          <label className="flex items-start gap-2 text-sm sm:col-span-2">
            <input
              type="checkbox"
              checked={form.autoPromote}
              onChange={(event) => set({ autoPromote: event.target.checked })}
              className="mt-0.5 h-4 w-4"
            />
            <span>Promote it by itself once it has passed</span>
          </label>
        </div>
      )}
    </fieldset>
  );
}

const STATUS_TONE = {
  watching: 'accent',
  passed: 'neutral',
  breached: 'warn',
  inconclusive: 'neutral',
} as const;
const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);

/** A running canary's guard and its outcomes against the stable's, refreshed while it runs. */
export function CanaryWatch({
  environment,
  deployment,
}: {
  environment: string;
  deployment: Deployment & { canary: NonNullable<Deployment['canary']> };
}) {
  const guard = deployment.canary.guard;
  const metrics = useQuery({
    ...trpc.deployments.metrics.queryOptions({ environment, templateId: deployment.templateId }),
    refetchInterval: 5_000,
  });
  return (
    <div className="grid basis-full gap-3">
      {guard ? (
        <div className="grid gap-1 text-sm">
          <p className="flex flex-wrap items-center gap-2">
            <ShieldCheck aria-hidden className="h-4 w-4" />
            <span className="font-medium">Guard</span>
            <Badge tone={STATUS_TONE[guard.status]}>{guard.status}</Badge>
            <span className="text-xs text-zinc-600 dark:text-zinc-400">
              aborts above +{(guard.maxFailureRateIncrease * 100).toFixed(1)} points of failure rate
              {guard.maxFirstResponseP95IncreaseMs !== null
                ? ` or +${guard.maxFirstResponseP95IncreaseMs} ms of first-response p95`
                : ''}
              ; judges from {guard.minSessions} sessions; bakes {guard.bakeMinutes} min
              {guard.autoPromote ? '; then promotes by itself' : ''}
            </span>
          </p>
          {guard.detail && <p className="text-xs text-zinc-700 dark:text-zinc-300">{guard.detail}</p>}
        </div>
      ) : (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Unguarded: nobody but you will end this canary.
        </p>
      )}
      {metrics.data && <OutcomeCharts metrics={metrics.data} />}
    </div>
  );
}

/** The two arms' figures, and per minute: sessions, failure rate and first-response p95. */
export function OutcomeCharts({ metrics }: { metrics: DeploymentMetrics }) {
  const arms = (['stable', 'canary'] as const).filter((arm) => metrics.arms[arm] !== null);
  const minutes = [...new Set(metrics.series.map((point) => point.minute))].sort();
  const row = (name: string, arm: ArmMetrics) => (
    <tr key={name} className="border-t border-zinc-200 dark:border-zinc-800">
      <th scope="row" className="py-1 pr-3 text-left font-medium">
        {name} (v{arm.release.templateVersion})
      </th>
      <td className="py-1 pr-3 tabular-nums">{arm.sessions}</td>
      <td className="py-1 pr-3 tabular-nums">{arm.sessions ? percent(arm.failureRate) : '—'}</td>
      <td className="py-1 pr-3 tabular-nums">{ms(arm.firstResponseP95Ms)}</td>
      <td className="py-1 tabular-nums">{arm.meanScore === null ? '—' : arm.meanScore.toFixed(2)}</td>
    </tr>
  );
  return (
    <div className="grid gap-3">
      <div className="overflow-x-auto">
        <table className="w-full text-xs">
          <caption className="sr-only">Session outcomes since each arm began to serve its release</caption>
          <thead>
            <tr className="text-left text-zinc-600 dark:text-zinc-400">
              <th scope="col" className="py-1 pr-3 font-medium">
                Arm
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                Sessions
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                Failure rate
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                First response p95
              </th>
              <th scope="col" className="py-1 font-medium">
                Mean score
              </th>
            </tr>
          </thead>
          <tbody>{arms.map((arm) => row(arm, metrics.arms[arm]!))}</tbody>
        </table>
      </div>
      {minutes.length > 0 && (
        <div className="grid gap-3 sm:grid-cols-3">
          <MiniChart
            title="Sessions per minute"
            minutes={minutes}
            metrics={metrics}
            value={(point) => point.sessions}
            format={(value) => String(Math.round(value))}
          />
          <MiniChart
            title="Failure rate"
            minutes={minutes}
            metrics={metrics}
            value={(point) => (point.sessions ? point.failed / point.sessions : null)}
            format={percent}
          />
          <MiniChart
            title="First-response p95"
            minutes={minutes}
            metrics={metrics}
            value={(point) => point.firstResponseP95Ms}
            format={ms}
          />
        </div>
      )}
    </div>
  );
}

const ARM_STYLE = {
  stable: { label: 'Stable', className: 'text-zinc-500 dark:text-zinc-400', dash: undefined },
  canary: { label: 'Canary', className: 'text-amber-700 dark:text-amber-400', dash: '4 3' },
} as const;

type Point = DeploymentMetrics['series'][number];

/** One measure per minute, stable against canary, as two lines (the canary's dashed). */
function MiniChart({
  title,
  minutes,
  metrics,
  value,
  format,
}: {
  title: string;
  minutes: string[];
  metrics: DeploymentMetrics;
  value: (point: Point) => number | null;
  format: (value: number) => string;
}) {
  const width = 240;
  const height = 80;
  const lines = (['stable', 'canary'] as const).map((arm) => {
    const byMinute = new Map(
      metrics.series.filter((point) => point.arm === arm).map((point) => [point.minute, value(point)]),
    );
    return { arm, points: minutes.map((minute) => byMinute.get(minute) ?? null) };
  });
  const values = lines.flatMap((line) => line.points).filter((point): point is number => point !== null);
  const max = Math.max(...values, 0) || 1;
  const x = (index: number) => (minutes.length === 1 ? width / 2 : (index / (minutes.length - 1)) * width);
  const y = (point: number) => height - (point / max) * (height - 8) - 4;
  const latest = (points: (number | null)[]) => points.filter((point) => point !== null).at(-1);
  const summary = lines
    .map(({ arm, points }) => {
      const last = latest(points);
      return `${ARM_STYLE[arm].label}: ${last === undefined || last === null ? 'no data' : format(last)}`;
    })
    .join(', ');
  return (
    <figure className="grid gap-1 rounded-md border border-zinc-200 p-2 dark:border-zinc-800">
      <figcaption className="flex flex-wrap items-baseline justify-between gap-1 text-xs font-medium">
        <span>{title}</span>
        <span className="flex gap-2 font-normal">
          {lines.map(({ arm }) => (
            <span key={arm} className={ARM_STYLE[arm].className}>
              {arm === 'canary' ? '┄' : '—'} {ARM_STYLE[arm].label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        className="h-20 w-full"
        role="img"
        aria-label={`${title}, latest minute: ${summary}`}
        preserveAspectRatio="none"
      >
        <line
          x1={0}
          x2={width}
          y1={height - 4}
          y2={height - 4}
          className="stroke-zinc-200 dark:stroke-zinc-800"
        />
        {lines.map(({ arm, points }) => {
          const drawn = points
            .map((point, index) => (point === null ? null : `${x(index).toFixed(1)},${y(point).toFixed(1)}`))
            .filter(Boolean);
          return (
            <g key={arm} className={ARM_STYLE[arm].className}>
              {drawn.length > 1 && (
                <polyline
                  points={drawn.join(' ')}
                  fill="none"
                  stroke="currentColor"
                  strokeWidth={2}
                  strokeDasharray={ARM_STYLE[arm].dash}
                  vectorEffect="non-scaling-stroke"
                />
              )}
              {points.map((point, index) =>
                point === null ? null : (
                  <circle key={minutes[index]} cx={x(index)} cy={y(point)} r={2.5} fill="currentColor" />
                ),
              )}
            </g>
          );
        })}
      </svg>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">Latest minute: {summary}</p>
    </figure>
  );
}
