import { type ReactNode, useId } from 'react';

/** A group of checkboxes or radios with a legend, its hint and its error. */
export function Fieldset({
  legend,
  hint,
  error,
  children,
}: {
  legend: string;
  hint?: ReactNode;
  error?: string;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <fieldset className="space-y-2" aria-describedby={error ? `${id}-error` : undefined}>
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">{legend}</legend>
      {hint && <p className="text-xs text-zinc-600 dark:text-zinc-400">{hint}</p>}
      {children}
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </fieldset>
  );
}
