import '@testing-library/jest-dom/vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { type VariableDraft, VariablesEditor } from '../src/components/VariablesEditor';

afterEach(cleanup);

const enumOf = (name: string, enumValues: string[]): VariableDraft => ({
  name,
  type: 'enum',
  required: false,
  default: enumValues[0] ?? null,
  enumValues,
});

/** The editor as the agent form holds it: its value in state, the latest kept for the test to read. */
function Harness({ initial, seen }: { initial: VariableDraft[]; seen: { value: VariableDraft[] } }) {
  const [value, setValue] = useState(initial);
  seen.value = value;
  return <VariablesEditor value={value} onChange={setValue} readOnly={false} />;
}

const rows = () => within(screen.getByRole('list', { name: 'Variables' })).getAllByRole('listitem');
const allowed = (row: HTMLElement) => within(row).getByLabelText('Allowed values (comma-separated)');
const nameOf = (row: HTMLElement) => within(row).getByLabelText('Name');

describe('the variables editor', () => {
  it('moves a variable with its own allowed values, and the next edit changes that variable only', () => {
    const seen = { value: [] as VariableDraft[] };
    render(
      <Harness initial={[enumOf('tier', ['gold', 'silver']), enumOf('region', ['eu', 'us'])]} seen={seen} />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Move region up' }));
    expect(nameOf(rows()[0]!)).toHaveValue('region');
    expect(allowed(rows()[0]!)).toHaveValue('eu, us');
    expect(allowed(rows()[1]!)).toHaveValue('gold, silver');
    expect(screen.getByRole('button', { name: 'Move region down' })).toHaveFocus();
    fireEvent.change(allowed(rows()[0]!), { target: { value: 'eu, us, apac' } });
    expect(seen.value.map((variable) => [variable.name, variable.enumValues])).toEqual([
      ['region', ['eu', 'us', 'apac']],
      ['tier', ['gold', 'silver']],
    ]);
  });

  it('removes a variable: the others keep their values, and the focus lands on the next one', () => {
    const seen = { value: [] as VariableDraft[] };
    render(
      <Harness
        initial={[
          enumOf('tier', ['gold', 'silver']),
          enumOf('region', ['eu', 'us']),
          enumOf('plan', ['a', 'b']),
        ]}
        seen={seen}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Remove tier' }));
    expect(rows().map((row) => (allowed(row) as HTMLInputElement).value)).toEqual(['eu, us', 'a, b']);
    expect(nameOf(rows()[0]!)).toHaveFocus();
    fireEvent.change(allowed(rows()[1]!), { target: { value: 'a, b, c' } });
    expect(seen.value.map((variable) => variable.enumValues)).toEqual([
      ['eu', 'us'],
      ['a', 'b', 'c'],
    ]);
    // The last one gone: the focus goes to the one before it; none left: to "Add a variable".
    fireEvent.click(screen.getByRole('button', { name: 'Remove plan' }));
    expect(nameOf(rows()[0]!)).toHaveFocus();
    fireEvent.click(screen.getByRole('button', { name: 'Remove region' }));
    expect(screen.getByRole('button', { name: 'Add a variable' })).toHaveFocus();
  });

  it('adds a variable with the focus on its name, and an enum typed there keeps its values', () => {
    const seen = { value: [] as VariableDraft[] };
    render(<Harness initial={[enumOf('tier', ['gold', 'silver'])]} seen={seen} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add a variable' }));
    const added = rows()[1]!;
    expect(nameOf(added)).toHaveFocus();
    fireEvent.change(nameOf(added), { target: { value: 'region' } });
    fireEvent.change(within(added).getByLabelText('Type'), { target: { value: 'enum' } });
    fireEvent.change(allowed(added), { target: { value: 'eu, us' } });
    fireEvent.click(screen.getByRole('button', { name: 'Move region up' }));
    expect(rows().map((row) => (allowed(row) as HTMLInputElement).value)).toEqual(['eu, us', 'gold, silver']);
    expect(seen.value.map((variable) => [variable.name, variable.enumValues])).toEqual([
      ['region', ['eu', 'us']],
      ['tier', ['gold', 'silver']],
    ]);
  });
});
