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
  | { url: string; maxConnections?: number; statementTimeoutMs?: number }
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

/**
 * The postgres.js client as Drizzle should use it: every statement with parameters is a prepared
 * statement (postgres.js keeps one per connection per statement text), inside transactions too.
 * Drizzle asks postgres.js to prepare only the queries given a name with `.prepare(name)`; any
 * other query was parsed and planned by PostgreSQL again on every call. Statements without
 * parameters (the migrations' DDL, `set local`) are sent as they were.
 */
function preparingEveryStatement<T extends object>(client: T): T {
  type Work = (tx: object) => unknown;
  type Starter = (...args: unknown[]) => unknown;
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
  // A transaction's (or savepoint's) own client is handed to the work, wrapped the same way.
  for (const name of ['begin', 'savepoint']) {
    overrides[name] = (...args) => {
      const work = args.pop() as Work;
      return target[name]!(...args, (tx: object) => work(preparingEveryStatement(tx)));
    };
  }
  return new Proxy(client, {
    get: (_, property, receiver) =>
      typeof property === 'string' && property in overrides
        ? overrides[property]
        : Reflect.get(client, property, receiver),
  });
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
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
