import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, type Database } from './client';
import { migrate } from './migrate';

/**
 * A fresh database for one test file: a new PostgreSQL database on the server that
 * DATABASE_URL names (dropped afterwards; only databases this helper created are dropped),
 * or an in-memory PGlite when DATABASE_URL is unset.
 */
export interface TestDatabase extends Database {
  /** The URL of the fresh PostgreSQL database (unset on PGlite). */
  url?: string;
}

export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  let database: TestDatabase;
  if (adminUrl) {
    const name = `switchboard_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const inner = await createDatabase({ url: url.toString() });
    database = {
      ...inner,
      url: url.toString(),
      close: async () => {
        await inner.close();
        const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
        await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
        await cleanup.end();
      },
    };
  } else {
    database = await createDatabase({});
  }
  if (options.migrated ?? true) await migrate(database.db);
  return database;
}
