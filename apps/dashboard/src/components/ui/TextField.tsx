import type { ComponentProps, ReactNode } from 'react';
import type { UseFormRegisterReturn } from 'react-hook-form';
import { Field, inputClass } from './Field';

/** The common case of `Field`: a labelled text input bound to a form field (`form.register(name)`). */
export function TextField({
  label,
  hint,
  error,
  registration,
  ...input
}: { label: string; hint?: ReactNode; error?: string; registration: UseFormRegisterReturn } & Omit<
  ComponentProps<'input'>,
  'id' | 'className'
>) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) => <input {...control} {...registration} {...input} className={inputClass} />}
    </Field>
  );
}
