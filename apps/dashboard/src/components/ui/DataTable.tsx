import type { ReactNode } from 'react';
import { cx } from './cx';

/** One column of a `DataTable`: its heading (read aloud when `hideHeader`) and how a row fills it. */
export interface Column<TRow> {
  header: string;
  /** The heading is read by screen readers only (an actions column). */
  hideHeader?: boolean;
  cell: (row: TRow) => ReactNode;
  className?: string;
}

/**
 * A table of rows as every list page shows one: column headings, a row a record, scrolled sideways
 * on a narrow screen (`relative`: a visually hidden heading is positioned, and must stay inside the
 * scroll box). `dense` for a table inside a card.
 */
export function DataTable<TRow>({
  columns,
  rows,
  rowKey,
  caption,
  dense = false,
  className,
  rowClassName,
}: {
  columns: Column<TRow>[];
  rows: readonly TRow[];
  rowKey: (row: TRow) => string;
  /** What the table lists, for screen readers. */
  caption?: string;
  dense?: boolean;
  className?: string;
  rowClassName?: string;
}) {
  const pad = dense ? 'px-3 py-2' : 'px-4 py-3';
  return (
    <div
      className={cx(
        'relative overflow-x-auto border border-zinc-200 dark:border-zinc-800',
        dense ? 'rounded-md' : 'rounded-lg bg-white dark:bg-zinc-900',
        className,
      )}
    >
      <table className="w-full text-left text-sm">
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col" className={cx(pad, 'font-medium')}>
                {column.hideHeader ? <span className="sr-only">{column.header}</span> : column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
          {rows.map((row) => (
            <tr key={rowKey(row)} className={rowClassName}>
              {columns.map((column) => (
                <td key={column.header} className={cx(pad, column.className)}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
