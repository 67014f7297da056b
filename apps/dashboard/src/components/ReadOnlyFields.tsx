import { FIELD_LABELS, formatValue } from '../lib/history';
import { Card } from './ui';

/**
 * An entity as a member reads it: each field as text under its label (long text as it was
 * written), not a form of greyed-out controls.
 */
export function ReadOnlyFields({
  entity,
  fields,
  nameOf,
}: {
  entity: object;
  fields: readonly string[];
  nameOf: (id: string) => string;
}) {
  const values = entity as Record<string, unknown>;
  return (
    <Card>
      <dl className="space-y-4">
        {fields.map((field) => (
          <div key={field}>
            <dt className="text-sm font-medium text-zinc-600 dark:text-zinc-400">
              {FIELD_LABELS[field] ?? field}
            </dt>
            <dd
              className={
                field === 'instructions' || field === 'description'
                  ? 'mt-1 text-sm whitespace-pre-wrap break-words'
                  : 'mt-1 text-sm break-words'
              }
            >
              {formatValue(field, values[field], nameOf)}
            </dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
