import { zodResolver } from '@hookform/resolvers/zod';
import type { Agent, SessionTemplate } from '@switchboard/client';
import {
  CreateSessionTemplateInput,
  MODALITY_PROFILES,
  profileCovers,
  sessionVariables,
  TEMPLATE_SETTABLE_FIELDS,
  templateProblems,
  variableConflicts,
} from '@switchboard/contract';
import { useEffect, useState } from 'react';
import { Controller, type UseFormReturn, useForm, useWatch } from 'react-hook-form';
import type { z } from 'zod';
import { displayName } from '../lib/agents';
import type { ServerError } from '../lib/api';
import { applyServerError, holds } from '../lib/forms';
import { describeVariable } from '../lib/history';
import { MODALITY_LABELS, mediaOf, PANEL_LABELS, PROFILE_LABELS } from '../lib/labels';
import { AgentPicker } from './AgentPicker';
import { DurationInput } from './DurationInput';
import { LeaveGuard } from './LeaveGuard';
import { LiveSaveNotice } from './LiveSaveNotice';
import { ReadOnlyFields } from './ReadOnlyFields';
import { Button, Card, cx, Field, Fieldset, inputClass, Notice, TextField } from './ui';

export type TemplateFormInput = z.input<typeof CreateSessionTemplateInput>;
export type TemplateFormValues = z.output<typeof CreateSessionTemplateInput>;
type Form = UseFormReturn<TemplateFormInput, unknown, TemplateFormValues>;

export function templateValues(template?: SessionTemplate): TemplateFormInput {
  return {
    name: template?.name ?? '',
    description: template?.description ?? null,
    agentIds: template?.agentIds ?? [],
    initialAgentId: template?.initialAgentId ?? null,
    modalityProfile: template?.modalityProfile ?? 'audio_only',
    enabledPanels: template?.enabledPanels ?? [],
    maxDurationSeconds: template?.maxDurationSeconds ?? null,
    idleTimeoutSeconds: template?.idleTimeoutSeconds ?? 300,
  };
}

/**
 * The one form for creating and editing a session template, with a live preview of what the
 * end-user's browser may publish and which panels open. The rules are the contract's own
 * (`templateProblems`, `profileCovers`), checked as the person edits and again by the server; every
 * error the server names lands on its field. A member sees the same form, read-only, with no
 * controls that write.
 */
export function TemplateForm({
  template,
  agents,
  readOnly,
  onSubmit,
  banner,
  besideSave,
  onDirtyChange,
}: {
  template?: SessionTemplate;
  /** The template's agents, fetched by id; agents picked while editing join them. */
  agents: Map<string, Agent>;
  readOnly: boolean;
  /** Saves; answers the server's error, if any, for the form to place. */
  onSubmit: (values: TemplateFormValues) => Promise<ServerError | null>;
  banner?: React.ReactNode;
  /** What concerns the save itself (a refusal because someone saved first), shown by the button. */
  besideSave?: React.ReactNode;
  /** Told when the form starts or stops holding unsaved edits. */
  onDirtyChange?: (dirty: boolean) => void;
}) {
  const form: Form = useForm<TemplateFormInput, unknown, TemplateFormValues>({
    resolver: zodResolver(CreateSessionTemplateInput),
    defaultValues: templateValues(template),
  });
  const [failure, setFailure] = useState<string | null>(null);
  const values = useWatch({ control: form.control }) as TemplateFormInput;
  // The rules are checked against the agents the template holds (fetched by id) and those picked.
  const [byId, setById] = useState(() => new Map(agents));
  const learn = (agent: Agent) => setById((known) => new Map(known).set(agent.id, agent));
  const nameOf = (id: string) => displayName(byId.get(id), 'an unknown agent');
  const chosen = (values.agentIds ?? []).flatMap((id) => byId.get(id) ?? []);
  const { errors, isSubmitting, isDirty } = form.formState;
  useEffect(() => onDirtyChange?.(isDirty), [isDirty, onDirtyChange]);
  // Once the page holds what the form holds (a save went through), the form is clean again; after
  // "keep mine" it holds a newer version but not these edits, and they stay unsaved.
  useEffect(() => {
    if (template && holds(form.getValues(), templateValues(template))) form.reset(templateValues(template));
  }, [template, form]);

  const submit = form.handleSubmit(async (data) => {
    setFailure(null);
    // The contract's rules first, as the server will check them.
    const problems = templateProblems(data, byId);
    if (problems) {
      setFailure(
        applyServerError(
          form.setError,
          { code: 'BAD_REQUEST', message: problems.message, details: problems.details },
          nameOf,
        ),
      );
      return;
    }
    const problem = await onSubmit(data);
    if (problem) setFailure(applyServerError(form.setError, problem, nameOf));
  });

  if (readOnly && template) {
    return (
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <div className="space-y-6">
          {banner}
          <ReadOnlyFields
            entity={template}
            fields={TEMPLATE_SETTABLE_FIELDS}
            nameOf={(id) => displayName(byId.get(id), 'Unknown agent')}
          />
        </div>
        <Preview values={values} chosen={chosen} />
      </div>
    );
  }

  return (
    <form onSubmit={submit} noValidate className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <LeaveGuard dirty={isDirty} saving={isSubmitting} />
      <div className="space-y-6">
        {banner}
        {failure && <Notice>{failure}</Notice>}
        <fieldset disabled={readOnly} className="space-y-6">
          <Card className="space-y-4">
            <h2 className="text-base font-semibold">Basics</h2>
            <TextField label="Name" error={errors.name?.message} registration={form.register('name')} />
            <Field label="Description" hint="Optional" error={errors.description?.message}>
              {(control) => (
                <textarea
                  {...control}
                  {...form.register('description', { setValueAs: (value) => (value ? value : null) })}
                  rows={2}
                  className={inputClass}
                />
              )}
            </Field>
          </Card>
          <AgentsSection form={form} known={byId} learn={learn} chosen={chosen} readOnly={readOnly} />
          <MediaSection form={form} chosen={chosen} />
          <Card className="grid gap-4 sm:grid-cols-2">
            <h2 className="text-base font-semibold sm:col-span-2">Limits</h2>
            <Controller
              control={form.control}
              name="maxDurationSeconds"
              render={({ field, fieldState }) => (
                <DurationInput
                  label="Maximum duration"
                  value={field.value ?? null}
                  onChange={field.onChange}
                  allowNoLimit
                  error={fieldState.error?.message}
                />
              )}
            />
            <Controller
              control={form.control}
              name="idleTimeoutSeconds"
              render={({ field, fieldState }) => (
                <DurationInput
                  label="Idle timeout"
                  value={field.value ?? 300}
                  onChange={(value) => field.onChange(value ?? 300)}
                  error={fieldState.error?.message}
                />
              )}
            />
          </Card>
        </fieldset>
        {besideSave}
        {!readOnly && (
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting ? 'Saving…' : template ? 'Save changes' : 'Create template'}
            </Button>
            <LiveSaveNotice />
          </div>
        )}
      </div>
      <Preview values={values} chosen={chosen} />
    </form>
  );
}

function describeAgent(agent: Agent): string {
  return `${MODALITY_LABELS[agent.modality]}${
    agent.panels.length ? ` · panels: ${agent.panels.map((panel) => PANEL_LABELS[panel]).join(', ')}` : ''
  }`;
}

function AgentsSection({
  form,
  known,
  learn,
  chosen,
  readOnly,
}: {
  form: Form;
  known: Map<string, Agent>;
  learn: (agent: Agent) => void;
  chosen: Agent[];
  readOnly: boolean;
}) {
  const { errors } = form.formState;
  // Said aloud when removing the greeter resets who greets first.
  const [greeting, setGreeting] = useState('');
  return (
    <Card className="space-y-4">
      <h2 className="text-base font-semibold">Agents and greeting</h2>
      <Controller
        control={form.control}
        name="agentIds"
        render={({ field }) => (
          <AgentPicker
            label="Agents in the session"
            hint="In the order they take part; 1 to 50."
            error={errors.agentIds?.message ?? errors.agentIds?.root?.message}
            value={field.value ?? []}
            known={known}
            onFound={learn}
            describe={describeAgent}
            readOnly={readOnly}
            onChange={(next) => {
              field.onChange(next);
              const initial = form.getValues('initialAgentId');
              if (initial && !next.includes(initial)) {
                form.setValue('initialAgentId', null);
                const first = next[0] ? displayName(known.get(next[0]), 'the first agent') : null;
                setGreeting(
                  `${displayName(known.get(initial), 'The greeter')} left the session: ${
                    first ? `${first} (the first agent) greets first now.` : 'choose who greets first.'
                  }`,
                );
              } else setGreeting('');
            }}
          />
        )}
      />
      <Field label="Greets first" error={errors.initialAgentId?.message}>
        {(control) => (
          <Controller
            control={form.control}
            name="initialAgentId"
            render={({ field }) => (
              <select
                {...control}
                className={inputClass}
                value={field.value ?? ''}
                onChange={(event) => {
                  setGreeting('');
                  field.onChange(event.target.value || null);
                }}
              >
                <option value="">First agent{chosen[0] ? ` (${chosen[0].name})` : ''}</option>
                {chosen.map((agent) => (
                  <option key={agent.id} value={agent.id}>
                    {agent.name}
                  </option>
                ))}
              </select>
            )}
          />
        )}
      </Field>
      <p aria-live="polite" className="text-sm text-amber-800 empty:hidden dark:text-amber-300">
        {greeting}
      </p>
      {variableConflicts(chosen).map((conflict) => (
        <p key={conflict.name} role="alert" className="text-sm text-red-700 dark:text-red-400">
          {conflict.agentIds.map((id) => known.get(id)?.name ?? id).join(' and ')} declare the variable{' '}
          <code>{conflict.name}</code> differently: make them agree (type, values, required, default).
        </p>
      ))}
    </Card>
  );
}

function MediaSection({ form, chosen }: { form: Form; chosen: Agent[] }) {
  const { errors } = form.formState;
  const providers = new Map<string, string[]>();
  for (const agent of chosen)
    for (const panel of agent.panels) providers.set(panel, [...(providers.get(panel) ?? []), agent.name]);
  return (
    <Card className="space-y-5">
      <h2 className="text-base font-semibold">Media and panels</h2>
      <Controller
        control={form.control}
        name="modalityProfile"
        render={({ field }) => (
          <Fieldset legend="What the end-user's browser may publish" error={errors.modalityProfile?.message}>
            <div className="space-y-1">
              {MODALITY_PROFILES.map((profile) => {
                const uncovered = chosen.filter((agent) => !profileCovers(profile, agent.modality));
                const disabled = uncovered.length > 0 && field.value !== profile;
                return (
                  <label
                    key={profile}
                    className={cx('flex items-start gap-3 rounded px-2 py-1.5', disabled && 'opacity-60')}
                  >
                    <input
                      type="radio"
                      name={field.name}
                      className="mt-1"
                      value={profile}
                      checked={field.value === profile}
                      disabled={disabled}
                      onChange={() => field.onChange(profile)}
                    />
                    <span>
                      <span className="block text-sm font-medium">{PROFILE_LABELS[profile]}</span>
                      <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                        {uncovered.length
                          ? `Does not cover ${uncovered.map((agent) => agent.name).join(', ')}`
                          : chosen.length
                            ? 'Covers every chosen agent'
                            : 'Choose agents to see what it covers'}
                      </span>
                    </span>
                  </label>
                );
              })}
            </div>
          </Fieldset>
        )}
      />
      <Controller
        control={form.control}
        name="enabledPanels"
        render={({ field }) => {
          const enabled = field.value ?? [];
          const offered = [...new Set([...providers.keys(), ...enabled])] as typeof enabled;
          return (
            <Fieldset
              legend="Panels that open"
              hint="Only panels an agent of the session provides."
              error={errors.enabledPanels?.message ?? errors.enabledPanels?.root?.message}
            >
              {offered.length === 0 ? (
                <p className="text-sm text-zinc-600 dark:text-zinc-400">
                  None of the chosen agents provides a panel.
                </p>
              ) : (
                offered.map((panel) => (
                  <label key={panel} className="flex items-start gap-3 rounded px-2 py-1.5">
                    <input
                      type="checkbox"
                      className="mt-1"
                      checked={enabled.includes(panel)}
                      onChange={(event) =>
                        field.onChange(
                          event.target.checked
                            ? [...enabled, panel]
                            : enabled.filter((item) => item !== panel),
                        )
                      }
                    />
                    <span>
                      <span className="block text-sm font-medium">{PANEL_LABELS[panel]}</span>
                      <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                        {providers.get(panel)
                          ? `Provided by ${providers.get(panel)!.join(', ')}`
                          : 'No chosen agent provides it'}
                      </span>
                    </span>
                  </label>
                ))
              )}
            </Fieldset>
          );
        }}
      />
    </Card>
  );
}

function Preview({ values, chosen }: { values: TemplateFormInput; chosen: Agent[] }) {
  const variables = sessionVariables(chosen);
  const media = mediaOf(values.modalityProfile ?? 'audio_only');
  const greeter = chosen.find((agent) => agent.id === values.initialAgentId) ?? chosen[0];
  const yes = (on: boolean) => (on ? 'Allowed' : 'Not allowed');
  return (
    <aside aria-label="Preview" className="lg:sticky lg:top-6 lg:self-start">
      <Card className="space-y-4 text-sm">
        <h2 className="text-base font-semibold">What the end-user gets</h2>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5">
          <dt className="text-zinc-600 dark:text-zinc-400">Microphone</dt>
          <dd>{yes(media.audio)}</dd>
          <dt className="text-zinc-600 dark:text-zinc-400">Camera</dt>
          <dd>{yes(media.camera)}</dd>
          <dt className="text-zinc-600 dark:text-zinc-400">Screen share</dt>
          <dd>{yes(media.screenshare)}</dd>
        </dl>
        <div>
          <h3 className="text-zinc-600 dark:text-zinc-400">Greets first</h3>
          <p className="font-medium">{greeter ? greeter.name : 'Choose an agent'}</p>
        </div>
        <div>
          <h3 className="text-zinc-600 dark:text-zinc-400">Panels that open</h3>
          <p>
            {values.enabledPanels?.length
              ? values.enabledPanels.map((panel) => PANEL_LABELS[panel]).join(', ')
              : 'None'}
          </p>
        </div>
        <div>
          <h3 className="text-zinc-600 dark:text-zinc-400">Agents</h3>
          <p>{chosen.length ? chosen.map((agent) => agent.name).join(' → ') : 'None yet'}</p>
        </div>
        <div>
          <h3 className="text-zinc-600 dark:text-zinc-400">Variables the runtime fills in</h3>
          {variables.length ? (
            <ul className="space-y-0.5">
              {variables.map((variable) => (
                <li key={variable.name} className="font-mono text-xs">
                  {describeVariable(variable)}
                </li>
              ))}
            </ul>
          ) : (
            <p>None</p>
          )}
        </div>
      </Card>
    </aside>
  );
}
