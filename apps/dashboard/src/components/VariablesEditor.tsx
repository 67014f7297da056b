import { VARIABLE_TYPES, type VariableType } from '@switchboard/contract';
import { ArrowDown, ArrowUp, Plus, X } from 'lucide-react';
import { useId } from 'react';
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

/**
 * An agent's variables: each a row of name, type, required or default, allowed values and a
 * description, with buttons to move it up or down and to remove it (keyboard alone works), each
 * error on its own field.
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
  const set = (index: number, patch: Partial<VariableDraft>) =>
    onChange(value.map((variable, at) => (at === index ? { ...variable, ...patch } : variable)));
  const move = (index: number, by: number) => {
    const next = [...value];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    onChange(next);
  };
  const listError = errors?.message ?? errors?.root?.message;

  return (
    <fieldset className="min-w-0 space-y-3">
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">Variables</legend>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        What the runtime fills in at each session start. Write <code>{'{{name}}'}</code> in the instructions
        to use one; <code>{'\\{{'}</code> writes a literal <code>{'{{'}</code>.
      </p>
      {value.length === 0 && <p className="text-sm text-zinc-600 dark:text-zinc-400">No variables.</p>}
      <ol aria-label="Variables" className="space-y-3">
        {value.map((variable, index) => {
          const at = `${id}-${index}`;
          const error = errors?.[index];
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
            <li key={index} className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
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
                    onChange={(event) => set(index, { name: event.target.value })}
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
                      set(index, { type, default: null, enumValues: type === 'enum' ? [] : undefined });
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
                      defaultValue={(variable.enumValues ?? []).join(', ')}
                      onChange={(event) =>
                        set(index, {
                          enumValues: event.target.value
                            .split(',')
                            .map((item) => item.trim())
                            .filter(Boolean),
                        })
                      }
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
                      set(index, {
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
                      onChange={(next) => set(index, { default: next })}
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
                    onChange={(event) => set(index, { description: event.target.value })}
                  />
                  {fieldError('description')}
                </div>
              </div>
              {!readOnly && (
                <div className="flex flex-wrap gap-1">
                  <Button
                    variant="ghost"
                    aria-label={`Move ${label} up`}
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                  >
                    <ArrowUp aria-hidden className="h-4 w-4" />
                  </Button>
                  <Button
                    variant="ghost"
                    aria-label={`Move ${label} down`}
                    disabled={index === value.length - 1}
                    onClick={() => move(index, 1)}
                  >
                    <ArrowDown aria-hidden className="h-4 w-4" />
                  </Button>
                  <Button
                    variant="ghost"
                    aria-label={`Remove ${label}`}
                    onClick={() => onChange(value.filter((_, at) => at !== index))}
                  >
                    <X aria-hidden className="h-4 w-4" /> Remove
                  </Button>
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {listError && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {listError}
        </p>
      )}
      {!readOnly && (
        <Button
          variant="secondary"
          onClick={() => onChange([...value, { name: '', type: 'string', required: false, default: null }])}
        >
          <Plus aria-hidden className="h-4 w-4" /> Add a variable
        </Button>
      )}
    </fieldset>
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
