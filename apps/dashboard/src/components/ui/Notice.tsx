import type { ReactNode } from 'react';
import { cx } from './cx';

/** A banner for what concerns the whole form or page (a stale version, a refusal). */
export function Notice({
  tone = 'error',
  children,
}: {
  /** `warn`: something to weigh before confirming (not a failure). */
  tone?: 'error' | 'info' | 'warn';
  children: ReactNode;
}) {
  const tones = {
    error: 'border-red-300 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200',
    info: 'border-indigo-200 bg-indigo-50 text-indigo-900 dark:border-indigo-900 dark:bg-indigo-950 dark:text-indigo-200',
    warn: 'border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100',
  };
  return (
    <div
      role={tone === 'error' ? 'alert' : tone === 'warn' ? 'note' : 'status'}
      className={cx('rounded-md border p-3 text-sm', tones[tone])}
    >
      {children}
    </div>
  );
}
