import { useId, useState } from 'react';
import { inputClass } from './ui';

const UNITS = [
  { label: 'seconds', seconds: 1 },
  { label: 'minutes', seconds: 60 },
  { label: 'hours', seconds: 3600 },
] as const;

/** The largest unit that divides the value, so 3600 reads as 1 hour. */
function unitFor(seconds: number | null) {
  if (seconds === null) return UNITS[1];
  return [...UNITS].reverse().find((unit) => seconds % unit.seconds === 0) ?? UNITS[0];
}

/** A duration as a number with a unit (stored in seconds), or "no limit" where that is allowed. */
export function DurationInput({
  label,
  value,
  onChange,
  allowNoLimit = false,
  error,
}: {
  label: string;
  value: number | null;
  onChange: (seconds: number | null) => void;
  allowNoLimit?: boolean;
  error?: string;
}) {
  const id = useId();
  const [unit, setUnit] = useState(() => unitFor(value));
  const [text, setText] = useState(() => (value === null ? '' : String(value / unit.seconds)));
  const [lastValue, setLastValue] = useState(value);
  // A new value from outside (a reload after a conflict) replaces what is shown.
  if (value !== lastValue && (value === null ? text !== '' : Number(text) * unit.seconds !== value)) {
    const next = unitFor(value);
    setUnit(next);
    setText(value === null ? '' : String(value / next.seconds));
  }
  if (value !== lastValue) setLastValue(value);

  const emit = (nextText: string, nextUnit: (typeof UNITS)[number]) => {
    const number = Number(nextText);
    // Whatever was typed reaches the form, so the contract's schema judges it (and says why).
    onChange(
      nextText.trim() === '' ? Number.NaN : Number.isFinite(number) ? number * nextUnit.seconds : Number.NaN,
    );
  };
  const noLimit = allowNoLimit && value === null;
  return (
    <fieldset className="space-y-1.5" aria-describedby={error ? `${id}-error` : undefined}>
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">{label}</legend>
      {allowNoLimit && (
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={noLimit}
            onChange={(event) => {
              if (event.target.checked) onChange(null);
              else {
                setText('60');
                setUnit(UNITS[1]);
                onChange(3600);
              }
            }}
          />
          No limit
        </label>
      )}
      {!noLimit && (
        <div className="flex gap-2">
          <label htmlFor={`${id}-value`} className="sr-only">
            {label} value
          </label>
          <input
            id={`${id}-value`}
            inputMode="numeric"
            aria-invalid={Boolean(error)}
            className={inputClass}
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              emit(event.target.value, unit);
            }}
          />
          <label htmlFor={`${id}-unit`} className="sr-only">
            {label} unit
          </label>
          <select
            id={`${id}-unit`}
            className={inputClass.replace('w-full', 'w-32')}
            value={unit.label}
            onChange={(event) => {
              const next = UNITS.find((item) => item.label === event.target.value) ?? UNITS[0];
              setUnit(next);
              emit(text, next);
            }}
          >
            {UNITS.map((item) => (
              <option key={item.label} value={item.label}>
                {item.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </fieldset>
  );
}
