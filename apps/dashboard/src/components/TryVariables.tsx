import type { Variable } from '@switchboard/client';
import { useId, useState } from 'react';
import { Button, inputClass, Notice } from './ui';

/** An agent with its instructions rendered for one session. */
export interface RenderedAgent {
  id: string;
  name: string;
  renderedInstructions: string | null;
}

/** What a try answers: the agents rendered, the wrong values (path under `variables`), or why not. */
export type TryAnswer =
  | { agents: RenderedAgent[] }
  | { issues: { path: string[]; message: string }[] }
  | { problem: string };

/**
 * "Try it": values for the session's variables, rendered into each agent's instructions by
 * `render` (the server's `POST …/config` for an environment, with its session key; the contract's
 * own renderer for the working copy); every wrong value is shown on its field.
 */
export function TryVariables({
  variables,
  render,
}: {
  variables: Variable[];
  render: (values: Record<string, unknown>) => Promise<TryAnswer>;
}) {
  const formId = useId();
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<TryAnswer | null>(null);
  const typed = (variable: Variable, raw: string): unknown =>
    variable.type === 'number' ? Number(raw) : variable.type === 'boolean' ? raw === 'true' : raw;

  const run = async () => {
    const sent = Object.fromEntries(
      variables.flatMap((variable) => {
        const raw = values[variable.name] ?? '';
        return raw === '' ? [] : [[variable.name, typed(variable, raw)]];
      }),
    );
    const next = await render(sent);
    setAnswer(next);
    setErrors(
      'issues' in next
        ? Object.fromEntries(next.issues.map((issue) => [issue.path[1] ?? '', issue.message]))
        : {},
    );
  };

  return (
    <section aria-labelledby={`${formId}-title`} className="space-y-3">
      <h3 id={`${formId}-title`} className="text-sm font-semibold">
        Try it: the instructions with sample values
      </h3>
      <div className="grid gap-3 sm:grid-cols-2">
        {variables.map((variable) => {
          const control = `${formId}-${variable.name}`;
          const error = errors[variable.name];
          const common = {
            id: control,
            className: inputClass,
            value: values[variable.name] ?? '',
            'aria-invalid': Boolean(error),
            ...(error ? { 'aria-describedby': `${control}-error` } : {}),
          };
          const set = (raw: string) => setValues((current) => ({ ...current, [variable.name]: raw }));
          return (
            <div key={variable.name} className="space-y-1">
              <label htmlFor={control} className="block text-sm font-medium">
                <code>{variable.name}</code>
                {variable.required ? ' (required)' : ''}
              </label>
              {variable.type === 'boolean' || variable.type === 'enum' ? (
                <select {...common} onChange={(event) => set(event.target.value)}>
                  <option value="">{variable.required ? 'Choose…' : 'Its default'}</option>
                  {(variable.type === 'boolean' ? ['true', 'false'] : (variable.enumValues ?? [])).map(
                    (option) => (
                      <option key={option} value={option}>
                        {option}
                      </option>
                    ),
                  )}
                </select>
              ) : (
                <input
                  {...common}
                  type={variable.type === 'number' ? 'number' : 'text'}
                  placeholder={variable.required ? '' : 'Its default'}
                  onChange={(event) => set(event.target.value)}
                />
              )}
              {error && (
                <p id={`${control}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
                  {error}
                </p>
              )}
            </div>
          );
        })}
      </div>
      <Button variant="secondary" onClick={() => void run()}>
        Render the instructions
      </Button>
      {answer && 'problem' in answer && <Notice>{answer.problem}</Notice>}
      {answer && 'agents' in answer && (
        <ol aria-label="Rendered instructions" className="space-y-2">
          {answer.agents.map((agent) => (
            <li key={agent.id} className="rounded-md bg-zinc-100 p-3 text-sm dark:bg-zinc-950">
              <div className="font-medium">{agent.name}</div>
              <p className="mt-1 whitespace-pre-wrap break-words">{agent.renderedInstructions}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
