/**
 * postgres.js keeps its pool's connections and each connection's pipelined queries in a small FIFO
 * (`src/queue.js`), which `patches/postgres@3.4.9.patch` replaces. The original left a hole at the
 * front of its array on every `shift` and dropped them only when the queue ran empty; under steady
 * load the busy pool never does, so the array grew with every query and `remove` (run on every
 * query, when a connection moves between the open, busy and full queues) scanned all the holes:
 * a pool of 10 under 32 concurrent callers fell from 30,000 to 10,000 queries a second in 20 s.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';

interface Queue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}
type QueueFactory = <T>(initial?: T[]) => Queue<T>;

const root = path.resolve(path.dirname(createRequire(import.meta.url).resolve('postgres')), '../..');
const builds = ['src/queue.js', 'cjs/src/queue.js', 'cf/src/queue.js'];
const load = async (build: string): Promise<QueueFactory> => {
  const module = await import(pathToFileURL(path.join(root, build)).href);
  return (module.default ?? module) as QueueFactory;
};

afterEach(() => vi.restoreAllMocks());

describe.each(builds)('postgres.js queue (%s)', (build) => {
  it('stays small under steady use: remove scans only what the queue holds', async () => {
    const Queue = await load(build);
    const queue = Queue<object>();
    const connections = Array.from({ length: 10 }, () => ({}));
    for (const c of connections) queue.push(c);
    // The busy pool under load: never empty, a connection shifted off and pushed back per query.
    for (let query = 0; query < 20_000; query++) queue.push(queue.shift()!);
    const scanned: number[] = [];
    const indexOf = Array.prototype.indexOf;
    vi.spyOn(Array.prototype, 'indexOf').mockImplementation(function (this: unknown[], ...args) {
      scanned.push(this.length);
      return indexOf.apply(this, args as [unknown, number?]);
    });
    expect(queue.remove(connections[3]!)).toBe(connections[3]);
    expect(Math.max(...scanned)).toBeLessThan(100);
    expect(queue.length).toBe(9);
  });

  it('is a FIFO with remove, for any sequence of operations', async () => {
    const Queue = await load(build);
    const operation = fc.oneof(
      fc.record({ op: fc.constant('push' as const) }),
      fc.record({ op: fc.constant('shift' as const) }),
      fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        const queue = Queue<number>();
        const model: number[] = [];
        let next = 0;
        for (const step of operations) {
          if (step.op === 'push') {
            queue.push(next);
            model.push(next++);
          } else if (step.op === 'shift') {
            expect(queue.shift()).toBe(model.length ? model.shift() : undefined);
          } else {
            // Something it holds, or (when `at` is past the end) something it never held.
            const x = step.at < model.length ? model[step.at]! : -1;
            if (x !== -1) model.splice(step.at, 1);
            expect(queue.remove(x)).toBe(x === -1 ? null : x);
          }
          expect(queue.length).toBe(model.length);
        }
        const drained: number[] = [];
        while (queue.length) drained.push(queue.shift()!);
        expect(drained).toEqual(model);
      }),
    );
  });
});
