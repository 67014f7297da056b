import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src';
import { createTestDatabase, type TestDatabase } from '../src/testing';

function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/**
 * Transactions on a busy pool (PostgreSQL). The client runs each transaction on a connection it
 * reserves before BEGIN (postgres.js 3.4.9's own `begin` can leave BEGIN on an unreserved pooled
 * connection: porsager/postgres#823, met by `pnpm bench` as UNSAFE_TRANSACTION under 1,000 open
 * event streams). Here both connections are busy when the transactions start and a pipeline holds
 * one query: every transaction commits, a failing savepoint rolls back alone, no other query runs
 * inside a transaction, and nothing is left open.
 */
describe.runIf(Boolean(process.env.DATABASE_URL))('transactions on a busy pool (PostgreSQL)', () => {
  let owner: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    owner = await createTestDatabase({ migrated: false });
    database = await createDatabase({ url: owner.url!, maxConnections: 2, maxPipeline: 1 });
  });
  afterAll(async () => {
    await database?.close();
    await owner?.close();
  });

  it('every transaction commits on a connection of its own, and no other query runs inside one', async () => {
    const db = database.db;
    const failures: unknown[] = [];
    const insideAnother: number[] = [];
    for (let round = 0; round < 10; round++) {
      // Both connections busy, then transactions and plain queries behind them.
      const busy = [1, 2].map(() => db.execute(sql`select pg_sleep(0.03)`));
      await new Promise((resolve) => setImmediate(resolve));
      const transactions = [1, 2, 3].map((i) =>
        db
          .transaction(async (tx) => {
            // Marks the transaction: a query that sees the mark runs inside it.
            await tx.execute(sql`select set_config('switchboard.test_tx', 'open', true)`);
            // A nested transaction (a savepoint) that fails rolls back alone.
            await tx
              .transaction(async (nested) => {
                await nested.execute(sql`select 1/0`);
              })
              .catch(() => {});
            const [row] = rowsOf<{ value: number }>(await tx.execute(sql`select ${i}::int + 1 as value`));
            expect(row?.value).toBe(i + 1);
          })
          .catch((error) => failures.push(error)),
      );
      const plain = [1, 2].map(async (i) => {
        const [row] = rowsOf<{ mark: string | null }>(
          await db.execute(sql`select current_setting('switchboard.test_tx', true) as mark, ${i}::int as i`),
        );
        if (row?.mark === 'open') insideAnother.push(round);
      });
      await Promise.all([...busy, ...transactions, ...plain]);
    }
    expect(failures).toEqual([]);
    expect(insideAnother).toEqual([]);
    // Nothing is left open on the pool's connections.
    const open = rowsOf<{ n: number }>(
      await db.execute(sql`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and state like 'idle in transaction%'`),
    );
    expect(open[0]?.n).toBe(0);
  });
});
