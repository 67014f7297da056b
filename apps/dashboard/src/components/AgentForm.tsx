import { zodResolver } from '@hookform/resolvers/zod';
import type { Agent } from '@switchboard/client';
import {
  AGENT_MODALITIES,
  AGENT_SETTABLE_FIELDS,
  CreateAgentInput,
  PANEL_TYPES,
  undeclaredVariables,
} from '@switchboard/contract';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Controller, type UseFormRegisterReturn, useForm, useWatch } from 'react-hook-form';
import type { z } from 'zod';
import { displayName } from '../lib/agents';
import type { ServerError } from '../lib/api';
import { trpc } from '../lib/api';
import { applyServerError, holds } from '../lib/forms';
import { MODALITY_LABELS, PANEL_LABELS } from '../lib/labels';
import { AgentPicker } from './AgentPicker';
import { LeaveGuard } from './LeaveGuard';
import { LiveSaveNotice } from './LiveSaveNotice';
import { ReadOnlyFields } from './ReadOnlyFields';
import { Button, Card, Field, Fieldset, inputClass, Notice, TextField } from './ui';
import { type VariableDraft, VariablesEditor } from './VariablesEditor';

/** The longest instructions the contract takes. */
const INSTRUCTIONS_MAX = 100_000;

export type AgentFormInput = z.input<typeof CreateAgentInput>;
export type AgentFormValues = z.output<typeof CreateAgentInput>;

export function agentValues(agent?: Agent): AgentFormInput {
  return {
    name: agent?.name ?? '',
    instructions: agent?.instructions ?? '',
    model: agent?.model ?? 'gpt-4.1-mini',
    voice: agent?.voice ?? null,
    handoffTargets: agent?.handoffTargets ?? [],
    tools: agent?.tools ?? [],
    modality: agent?.modality ?? 'audio_only',
    panels: agent?.panels ?? [],
    variables: agent?.variables ?? [],
  };
}

/** Creating and editing an agent: one form on the contract's schema; server errors land on their fields. */
export function AgentForm({
  agent,
  known: knownTargets,
  readOnly,
  onSubmit,
  banner,
  besideSave,
  onDirtyChange,
}: {
  agent?: Agent;
  /** The agent's handoff targets, fetched by id; agents picked while editing join them. */
  known: Map<string, Agent>;
  readOnly: boolean;
  onSubmit: (values: AgentFormValues) => Promise<ServerError | null>;
  banner?: React.ReactNode;
  /** What concerns the save itself (a refusal because someone saved first), shown by the button. */
  besideSave?: React.ReactNode;
  /** Told when the form starts or stops holding unsaved edits. */
  onDirtyChange?: (dirty: boolean) => void;
}) {
  const form = useForm<AgentFormInput, unknown, AgentFormValues>({
    resolver: zodResolver(CreateAgentInput),
    defaultValues: agentValues(agent),
  });
  const [failure, setFailure] = useState<string | null>(null);
  const { errors, isSubmitting, isDirty } = form.formState;
  useEffect(() => onDirtyChange?.(isDirty), [isDirty, onDirtyChange]);
  // Once the page holds what the form holds (a save went through), the form is clean again.
  useEffect(() => {
    if (agent && holds(form.getValues(), agentValues(agent))) form.reset(agentValues(agent));
  }, [agent, form]);
  const instructions = useWatch({ control: form.control, name: 'instructions' }) ?? '';
  const instructionsLength = instructions.length;
  const declared = (useWatch({ control: form.control, name: 'variables' }) ?? []) as VariableDraft[];
  // Marked as the person types: every {{name}} the agent does not declare, with the fix offered.
  const undeclared = undeclaredVariables(instructions, declared);
  // A refusal of the instructions (undeclared names) speaks of what they were then: once they or
  // the declarations change, the live check above says what is still missing instead.
  const undeclaredKey = undeclared.join(',');
  useEffect(() => {
    if (form.getFieldState('instructions').error?.type === 'server') form.clearErrors('instructions');
  }, [undeclaredKey, form]);
  const catalog = useQuery(trpc.catalog.get.queryOptions());
  const [known, setKnown] = useState(() => new Map(knownTargets));
  const learn = (other: Agent) => setKnown((current) => new Map(current).set(other.id, other));
  const nameOf = (id: string) => displayName(known.get(id), 'an unknown agent');

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    const problem = await onSubmit(values);
    if (!problem) return;
    const ids = problem.details.invalidAgentIds as string[] | undefined;
    if (ids?.length) {
      form.setError('handoffTargets', {
        message: `Not active agents of this organization: ${ids.map(nameOf).join(', ')}`,
      });
      return;
    }
    setFailure(applyServerError(form.setError, problem, nameOf));
  });

  if (readOnly && agent) {
    return (
      <div className="max-w-3xl space-y-6">
        {banner}
        <ReadOnlyFields entity={agent} fields={AGENT_SETTABLE_FIELDS} nameOf={nameOf} />
      </div>
    );
  }

  return (
    <form onSubmit={submit} noValidate className="max-w-3xl space-y-6">
      <LeaveGuard dirty={isDirty} saving={isSubmitting} />
      {banner}
      {failure && <Notice>{failure}</Notice>}
      <fieldset disabled={readOnly} className="space-y-6">
        <Card className="space-y-4">
          <TextField label="Name" error={errors.name?.message} registration={form.register('name')} />
          <Field
            label="Instructions"
            hint={`What the agent does and how it speaks. ${instructionsLength.toLocaleString('en')} / ${INSTRUCTIONS_MAX.toLocaleString('en')} characters.`}
            error={errors.instructions?.message}
          >
            {(control) => (
              <textarea
                {...control}
                {...form.register('instructions')}
                rows={12}
                maxLength={INSTRUCTIONS_MAX}
                // Grows with its text (up to most of the screen), so long instructions read as a page.
                className={`${inputClass} max-h-[75vh] min-h-64 [field-sizing:content] font-mono leading-relaxed`}
              />
            )}
          </Field>
          {undeclared.length > 0 && (
            <div
              role="status"
              className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
            >
              <p>
                The instructions use {undeclared.map((name) => `{{${name}}}`).join(', ')}, which{' '}
                {undeclared.length === 1 ? 'is' : 'are'} not declared below.
              </p>
              <div className="mt-2 flex flex-wrap gap-2">
                {undeclared.map((name) => (
                  <Button
                    key={name}
                    variant="secondary"
                    onClick={() =>
                      form.setValue(
                        'variables',
                        [
                          ...declared,
                          { name, type: 'string', required: true, default: null, description: '' },
                        ],
                        { shouldDirty: true },
                      )
                    }
                  >
                    Declare {name}
                  </Button>
                ))}
              </div>
            </div>
          )}
          <div className="grid gap-4 sm:grid-cols-2">
            <CatalogField
              label="Model"
              entries={catalog.data?.models ?? []}
              allowOther={catalog.data?.allowOtherModels ?? true}
              current={agent?.model}
              error={errors.model?.message}
              registration={form.register('model')}
            />
            <CatalogField
              label="Voice"
              hint="Optional"
              entries={catalog.data?.voices ?? []}
              allowOther={catalog.data?.allowOtherVoices ?? true}
              current={agent?.voice ?? undefined}
              optional
              error={errors.voice?.message}
              registration={form.register('voice', { setValueAs: (value) => (value ? value : null) })}
            />
          </div>
          <Controller
            control={form.control}
            name="tools"
            render={({ field, fieldState }) => (
              <Field
                label="Tools"
                hint="One per line."
                error={fieldState.error?.message ?? errors.tools?.root?.message}
              >
                {(control) => (
                  <textarea
                    {...control}
                    rows={3}
                    className={`${inputClass} font-mono`}
                    defaultValue={(field.value ?? []).join('\n')}
                    onChange={(event) =>
                      field.onChange(
                        event.target.value
                          .split('\n')
                          .map((line) => line.trim())
                          .filter(Boolean),
                      )
                    }
                  />
                )}
              </Field>
            )}
          />
        </Card>
        <Card>
          <Controller
            control={form.control}
            name="variables"
            render={({ field }) => (
              <VariablesEditor
                value={(field.value ?? []) as VariableDraft[]}
                onChange={field.onChange}
                errors={errors.variables as never}
                readOnly={readOnly}
              />
            )}
          />
        </Card>
        <Card className="space-y-5">
          <Controller
            control={form.control}
            name="modality"
            render={({ field }) => (
              <Fieldset legend="What the agent needs from the end-user" error={errors.modality?.message}>
                {AGENT_MODALITIES.map((modality) => (
                  <label key={modality} className="flex items-center gap-3 px-2 py-1 text-sm">
                    <input
                      type="radio"
                      name={field.name}
                      checked={field.value === modality}
                      onChange={() => field.onChange(modality)}
                    />
                    {MODALITY_LABELS[modality]}
                  </label>
                ))}
              </Fieldset>
            )}
          />
          <Controller
            control={form.control}
            name="panels"
            render={({ field }) => {
              const panels = field.value ?? [];
              return (
                <Fieldset
                  legend="Panels it provides"
                  error={errors.panels?.message ?? errors.panels?.root?.message}
                >
                  <div className="grid gap-1 sm:grid-cols-2">
                    {PANEL_TYPES.map((panel) => (
                      <label key={panel} className="flex items-center gap-3 px-2 py-1 text-sm">
                        <input
                          type="checkbox"
                          checked={panels.includes(panel)}
                          onChange={(event) =>
                            field.onChange(
                              event.target.checked
                                ? [...panels, panel]
                                : panels.filter((item) => item !== panel),
                            )
                          }
                        />
                        {PANEL_LABELS[panel]}
                      </label>
                    ))}
                  </div>
                </Fieldset>
              );
            }}
          />
          <Controller
            control={form.control}
            name="handoffTargets"
            render={({ field }) => (
              <AgentPicker
                label="Hands off to"
                hint="Other agents it may pass the session to."
                error={errors.handoffTargets?.message ?? errors.handoffTargets?.root?.message}
                value={field.value ?? []}
                onChange={field.onChange}
                known={known}
                onFound={learn}
                exclude={agent ? [agent.id] : []}
                readOnly={readOnly}
                ordered={false}
              />
            )}
          />
        </Card>
      </fieldset>
      {besideSave}
      {!readOnly && (
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={isSubmitting}>
            {isSubmitting ? 'Saving…' : agent ? 'Save changes' : 'Create agent'}
          </Button>
          <LiveSaveNotice />
        </div>
      )}
    </form>
  );
}

/**
 * A model or voice: the catalog's entries offered as suggestions over free text where the operator
 * allows others, else a choice among them (keeping the value an agent already holds, named as such).
 */
function CatalogField({
  label,
  hint,
  entries,
  allowOther,
  current,
  optional,
  error,
  registration,
}: {
  label: string;
  hint?: string;
  entries: { id: string; label: string }[];
  allowOther: boolean;
  current?: string;
  optional?: boolean;
  error?: string;
  registration: UseFormRegisterReturn;
}) {
  const listId = `${registration.name}-catalog`;
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) =>
        allowOther ? (
          <>
            <input {...control} {...registration} list={listId} autoComplete="off" className={inputClass} />
            <datalist id={listId}>
              {entries.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.label}
                </option>
              ))}
            </datalist>
          </>
        ) : (
          <select {...control} {...registration} className={inputClass}>
            {optional && <option value="">None</option>}
            {current && !entries.some((entry) => entry.id === current) && (
              <option value={current}>{current} (no longer in the catalog)</option>
            )}
            {entries.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.label}
              </option>
            ))}
          </select>
        )
      }
    </Field>
  );
}
