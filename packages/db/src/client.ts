import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Schema = typeof schema;
/** The query surface both drivers share; a transaction has the same type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseOptions =
  /** postgres.js against a PostgreSQL server. */
  | {
      url: string;
      maxConnections?: number;
      statementTimeoutMs?: number;
      /** Queries pipelined on one connection (postgres.js `max_pipeline`, 100); tests lower it. */
      maxPipeline?: number;
    }
  /** Embedded PGlite, file-backed in `dataDir`, or in memory when `dataDir` is omitted. */
  | { url?: undefined; dataDir?: string; loadDataDir?: Blob | File };

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Resolves when the database answers `select 1`. */
  ping(): Promise<void>;
  /**
   * Calls `onNotify` with the payload of every `NOTIFY` on `channel` (from any connection, this
   * process's or another's); resolves once listening, to a function that stops.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** The embedded instance, when the driver is PGlite (tests snapshot it). */
  pglite?: PGlite;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;

/** What this module asks of a postgres.js client (the pool, a reserved connection, or a scope of one). */
type Starter = (...args: unknown[]) => unknown;
type Work = (tx: object) => unknown;
interface Reserved {
  unsafe(query: string): PromiseLike<unknown>;
  release(): void;
}

/**
 * The postgres.js client as Drizzle should use it:
 * - every statement with parameters is a prepared statement (postgres.js keeps one per connection
 *   per statement text), inside transactions too. Drizzle asks postgres.js to prepare only the
 *   queries given a name with `.prepare(name)`; any other query was parsed and planned by
 *   PostgreSQL again on every call. Statements without parameters (the migrations' DDL,
 *   `set local`) are sent as they were;
 * - a transaction runs on a connection reserved before its BEGIN is sent (`transactionOn`).
 */
function preparingEveryStatement<T extends object>(client: T): T {
  const target = client as unknown as Record<string, Starter>;
  // Built once per client (Drizzle reads `unsafe` on every query).
  const overrides: Record<string, Starter> = {
    unsafe: (query, params, options) =>
      target.unsafe!(query, params, {
        ...(options as object),
        prepare:
          Boolean((params as unknown[] | undefined)?.length) || (options as { prepare?: boolean })?.prepare,
      }),
  };
  if (typeof target.reserve === 'function') {
    // The pool: Drizzle's `transaction` calls `begin(work)`.
    overrides.begin = async (...args) => {
      const work = args.pop() as Work;
      const reserved = (await target.reserve!()) as Reserved;
      try {
        return await transactionOn(reserved, work);
      } finally {
        reserved.release();
      }
    };
  }
  return new Proxy(client, {
    get: (_, property, receiver) =>
      typeof property === 'string' && property in overrides
        ? overrides[property]
        : Reflect.get(client, property, receiver),
  });
}

/**
 * BEGIN, the work, COMMIT (ROLLBACK if the work throws) on a connection that is ours alone before
 * BEGIN is written. postgres.js 3.4.9's own `begin` sends BEGIN through the pool, onto a connection
 * that may be busy, and marks the connection reserved only after the write; when BEGIN fills the
 * connection's pipeline or meets backpressure on its socket the mark is skipped
 * (porsager/postgres#823, #1189): the caller gets UNSAFE_TRANSACTION while the transaction stays
 * open on a connection back in the pool, where unrelated queries then run inside it. `pnpm bench`
 * met it (Node 20, 1,000 open event streams); `client.test.ts` checks transactions on a busy pool.
 * Drizzle's nested transactions call `savepoint(work)` on the transaction's client, which this
 * scope answers.
 */
async function transactionOn(reserved: Reserved, work: Work): Promise<unknown> {
  let savepoints = 0;
  const scope: object = new Proxy(reserved, {
    get: (target, property, receiver) =>
      property === 'savepoint' ? savepoint : Reflect.get(target, property, receiver),
  });
  async function savepoint(...args: unknown[]) {
    const nested = args.pop() as Work;
    const name = `s${++savepoints}`;
    await reserved.unsafe(`savepoint ${name}`);
    try {
      const result = await nested(preparingEveryStatement(scope));
      await reserved.unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await reserved.unsafe(`rollback to savepoint ${name}`);
      throw error;
    }
  }
  await reserved.unsafe('begin');
  let result: unknown;
  try {
    result = await work(preparingEveryStatement(scope));
  } catch (error) {
    await reserved.unsafe('rollback');
    throw error;
  }
  await reserved.unsafe('commit');
  return result;
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      // postgres.js reads `max_pipeline`; its types do not declare it.
      ...({ max_pipeline: options.maxPipeline ?? 100 } as object),
      onnotice: () => {},
      connect_timeout: 5,
      connection: {
        statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
        application_name: 'switchboard',
      },
    });
    return {
      db: drizzlePostgres({ client: preparingEveryStatement(client), schema }) as unknown as Db,
      driver: 'postgres',
      ping: async () => {
        await client`select 1`;
      },
      listen: async (channel, onNotify) => {
        // postgres.js keeps one connection for every listener, and listens again after a reconnect.
        const { unlisten } = await client.listen(channel, (payload) => onNotify(payload));
        return unlisten;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = 'dataDir' in options ? options.dataDir : undefined;
  if (dataDir) mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...('loadDataDir' in options && options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  return {
    db: drizzlePglite({ client: pglite, schema }) as unknown as Db,
    driver: 'pglite',
    pglite,
    ping: async () => {
      await pglite.query('select 1');
    },
    listen: async (channel, onNotify) => pglite.listen(channel, onNotify),
    close: () => pglite.close(),
  };
}
