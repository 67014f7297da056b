import { VARIABLE_TYPES, type VariableType } from '@switchboard/contract';
import { ArrowDown, ArrowUp, Plus, X } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import { Button, cx, inputClass } from './ui';

/** A declaration as the form holds it (the contract's input shape). */
export interface VariableDraft {
  name: string;
  type: VariableType;
  required?: boolean;
  default?: string | number | boolean | null;
  description?: string;
  enumValues?: string[];
}

type FieldErrors = Partial<Record<keyof VariableDraft, { message?: string }>>;

const TYPE_LABELS: Record<VariableType, string> = {
  string: 'Text',
  number: 'Number',
  boolean: 'Yes / no',
  enum: 'One of a list',
};

/** What should take the focus after a render: a control of one row (by its key), or the add button. */
type FocusTarget = { key: string; control: 'name' | 'up' | 'down' } | 'add' | null;

let nextKey = 0;
const newKey = () => `variable-${++nextKey}`;

/**
 * An agent's variables: each a row of name, type, required or default, allowed values and a
 * description, with buttons to move it up or down and to remove it (keyboard alone works), each
 * error on its own field. Rows have keys of their own, never their index, so a row that moves or
 * whose neighbour goes keeps its own state; the focus follows the variable it was on.
 */
export function VariablesEditor({
  value,
  onChange,
  errors,
  readOnly,
}: {
  value: VariableDraft[];
  onChange: (variables: VariableDraft[]) => void;
  errors?: (FieldErrors | undefined)[] & { message?: string; root?: { message?: string } };
  readOnly: boolean;
}) {
  const id = useId();
  // One key per row, moved and removed with it; rows that appear (added, or a reset) get new ones.
  const keys = useRef<string[]>([]);
  if (keys.current.length > value.length) keys.current = keys.current.slice(0, value.length);
  while (keys.current.length < value.length) keys.current.push(newKey());
  const focus = useRef<FocusTarget>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const target = focus.current;
    focus.current = null;
    if (target === 'add') addButton.current?.focus();
    else if (target) {
      const element = document.getElementById(
        `${id}-${target.key}-${target.control}`,
      ) as HTMLButtonElement | null;
      // A move button that is now disabled (at an end) hands the focus to its other one.
      const other = target.control === 'up' ? 'down' : 'up';
      const fallback = document.getElementById(`${id}-${target.key}-${other}`) as HTMLButtonElement | null;
      (element && !element.disabled ? element : fallback)?.focus();
    }
  });
  const set = (index: number, patch: Partial<VariableDraft>) =>
    onChange(value.map((variable, at) => (at === index ? { ...variable, ...patch } : variable)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...value];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    const [key] = keys.current.splice(index, 1);
    keys.current.splice(index + by, 0, key!);
    focus.current = { key: key!, control: by < 0 ? 'up' : 'down' };
    onChange(next);
  };
  const remove = (index: number) => {
    keys.current.splice(index, 1);
    const neighbour = keys.current[index] ?? keys.current[index - 1];
    focus.current = neighbour ? { key: neighbour, control: 'name' } : 'add';
    onChange(value.filter((_, at) => at !== index));
  };
  const add = () => {
    const key = newKey();
    keys.current.push(key);
    focus.current = { key, control: 'name' };
    onChange([...value, { name: '', type: 'string', required: false, default: null }]);
  };
  const listError = errors?.message ?? errors?.root?.message;

  return (
    <fieldset className="min-w-0 space-y-3">
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">Variables</legend>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <p className="max-w-prose text-xs text-zinc-600 dark:text-zinc-400">
          What the runtime fills in at each session start. Write <code>{'{{name}}'}</code> in the instructions
          to use one; <code>{'\\{{'}</code> writes a literal <code>{'{{'}</code>.
        </p>
        {!readOnly && (
          // Before the rows, so the keyboard reaches it without passing through every variable.
          <Button ref={addButton} variant="secondary" onClick={add}>
            <Plus aria-hidden className="h-4 w-4" /> Add a variable
          </Button>
        )}
      </div>
      {value.length === 0 && <p className="text-sm text-zinc-600 dark:text-zinc-400">No variables.</p>}
      <ol aria-label="Variables" className="space-y-3">
        {value.map((variable, index) => (
          <VariableRow
            key={keys.current[index]}
            at={`${id}-${keys.current[index]}`}
            variable={variable}
            index={index}
            count={value.length}
            error={errors?.[index]}
            readOnly={readOnly}
            onSet={(patch) => set(index, patch)}
            onMove={(by) => move(index, by)}
            onRemove={() => remove(index)}
          />
        ))}
      </ol>
      {listError && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {listError}
        </p>
      )}
    </fieldset>
  );
}

/** One variable's row; its allowed values are typed as text here and given to the form as a list. */
function VariableRow({
  at,
  variable,
  index,
  count,
  error,
  readOnly,
  onSet,
  onMove,
  onRemove,
}: {
  at: string;
  variable: VariableDraft;
  index: number;
  count: number;
  error: FieldErrors | undefined;
  readOnly: boolean;
  onSet: (patch: Partial<VariableDraft>) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const [enumText, setEnumText] = useState(() => (variable.enumValues ?? []).join(', '));
  const errorOf = (field: keyof VariableDraft) => error?.[field]?.message;
  const control = (field: keyof VariableDraft) => ({
    id: `${at}-${field}`,
    'aria-invalid': Boolean(errorOf(field)),
    ...(errorOf(field) ? { 'aria-describedby': `${at}-${field}-error` } : {}),
    disabled: readOnly,
  });
  const fieldError = (field: keyof VariableDraft) =>
    errorOf(field) && (
      <p id={`${at}-${field}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
        {errorOf(field)}
      </p>
    );
  const label = variable.name || `variable ${index + 1}`;
  return (
    <li className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
      <div className="grid gap-3 sm:grid-cols-2">
        <div className="space-y-1">
          <label htmlFor={`${at}-name`} className="block text-sm font-medium">
            Name
          </label>
          <input
            {...control('name')}
            className={cx(inputClass, 'font-mono')}
            value={variable.name}
            autoComplete="off"
            onChange={(event) => onSet({ name: event.target.value })}
          />
          {fieldError('name')}
        </div>
        <div className="space-y-1">
          <label htmlFor={`${at}-type`} className="block text-sm font-medium">
            Type
          </label>
          <select
            {...control('type')}
            className={inputClass}
            value={variable.type}
            onChange={(event) => {
              const type = event.target.value as VariableType;
              setEnumText('');
              onSet({ type, default: null, enumValues: type === 'enum' ? [] : undefined });
            }}
          >
            {VARIABLE_TYPES.map((type) => (
              <option key={type} value={type}>
                {TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        </div>
        {variable.type === 'enum' && (
          <div className="space-y-1 sm:col-span-2">
            <label htmlFor={`${at}-enumValues`} className="block text-sm font-medium">
              Allowed values (comma-separated)
            </label>
            <input
              {...control('enumValues')}
              className={inputClass}
              value={enumText}
              onChange={(event) => {
                setEnumText(event.target.value);
                onSet({
                  enumValues: event.target.value
                    .split(',')
                    .map((item) => item.trim())
                    .filter(Boolean),
                });
              }}
            />
            {fieldError('enumValues')}
          </div>
        )}
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            disabled={readOnly}
            checked={variable.required ?? false}
            onChange={(event) =>
              onSet({
                required: event.target.checked,
                ...(event.target.checked ? { default: null } : {}),
              })
            }
          />
          Required at every session start
        </label>
        {!variable.required && (
          <div className="space-y-1">
            <label htmlFor={`${at}-default`} className="block text-sm font-medium">
              Default
            </label>
            <DefaultInput
              variable={variable}
              control={control('default')}
              onChange={(next) => onSet({ default: next })}
            />
            {fieldError('default')}
          </div>
        )}
        <div className="space-y-1 sm:col-span-2">
          <label htmlFor={`${at}-description`} className="block text-sm font-medium">
            Description
          </label>
          <input
            {...control('description')}
            className={inputClass}
            value={variable.description ?? ''}
            onChange={(event) => onSet({ description: event.target.value })}
          />
          {fieldError('description')}
        </div>
      </div>
      {!readOnly && (
        <div className="flex flex-wrap gap-1">
          <Button
            id={`${at}-up`}
            variant="ghost"
            aria-label={`Move ${label} up`}
            disabled={index === 0}
            onClick={() => onMove(-1)}
          >
            <ArrowUp aria-hidden className="h-4 w-4" />
          </Button>
          <Button
            id={`${at}-down`}
            variant="ghost"
            aria-label={`Move ${label} down`}
            disabled={index === count - 1}
            onClick={() => onMove(1)}
          >
            <ArrowDown aria-hidden className="h-4 w-4" />
          </Button>
          <Button variant="ghost" aria-label={`Remove ${label}`} onClick={onRemove}>
            <X aria-hidden className="h-4 w-4" /> Remove
          </Button>
        </div>
      )}
    </li>
  );
}

/** The default as its type takes it: text, a number, yes or no, one of the allowed values; empty is none. */
function DefaultInput({
  variable,
  control,
  onChange,
}: {
  variable: VariableDraft;
  control: { id: string; disabled: boolean };
  onChange: (value: string | number | boolean | null) => void;
}) {
  const current = variable.default ?? null;
  if (variable.type === 'boolean' || variable.type === 'enum') {
    const options = variable.type === 'boolean' ? ['true', 'false'] : (variable.enumValues ?? []);
    return (
      <select
        {...control}
        className={inputClass}
        value={current === null ? '' : String(current)}
        onChange={(event) => {
          const raw = event.target.value;
          onChange(raw === '' ? null : variable.type === 'boolean' ? raw === 'true' : raw);
        }}
      >
        <option value="">None (empty)</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {variable.type === 'boolean' ? (option === 'true' ? 'Yes' : 'No') : option}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      {...control}
      type={variable.type === 'number' ? 'number' : 'text'}
      className={inputClass}
      value={current === null ? '' : String(current)}
      onChange={(event) => {
        const raw = event.target.value;
        onChange(raw === '' ? null : variable.type === 'number' ? Number(raw) : raw);
      }}
    />
  );
}
