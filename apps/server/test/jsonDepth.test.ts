import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../src/core/jsonDepth';

/** The nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or array. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Strings made of what could fool a text scan: quotes, backslashes and brackets. */
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a', '\\"', '\\\\') });

describe('nestsDeeperThan (the 64-level limit, read as text)', () => {
  it('agrees with the depth of the parsed value, whatever its strings hold', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        tricky,
        fc.integer(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(tricky, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), fc.boolean(), (json, max, indented) => {
        const text = JSON.stringify(json, null, indented ? 1 : undefined);
        expect(nestsDeeperThan(text, max)).toBe(depthOf(json) > max);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads brackets inside strings as text, escaped quotes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ a: '\\"[[[[' }), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ a: '\\', b: [[1]] }), 2)).toBe(true);
    expect(nestsDeeperThan('{"a":"unterminated [[[', 1)).toBe(false);
    expect(nestsDeeperThan(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe(true);
    expect(nestsDeeperThan(`${'['.repeat(64)}${']'.repeat(64)}`)).toBe(false);
  });
});
