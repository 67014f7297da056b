/** `pnpm db:migrate` / `pnpm db:rollback`: on DATABASE_URL, or on the embedded database in DATA_DIR (default `.data`). */
import path from 'node:path';
import { createDatabase } from './client';
import { migrate, rollback } from './migrate';

const command = process.argv[2];
const url = process.env.DATABASE_URL;
const root = process.env.INIT_CWD ?? process.cwd();
const dataDir = path.resolve(root, process.env.DATA_DIR ?? '.data', 'pglite');
const database = await createDatabase(url ? { url } : { dataDir });
const lockTimeoutMs = process.env.MIGRATION_LOCK_TIMEOUT_MS
  ? Number(process.env.MIGRATION_LOCK_TIMEOUT_MS)
  : undefined;
try {
  if (command === 'migrate') {
    const applied = await migrate(database.db, { lockTimeoutMs });
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } else if (command === 'rollback') {
    const reverted = await rollback(database.db, { lockTimeoutMs });
    console.log(reverted ? `reverted: ${reverted}` : 'no migration to revert');
  } else {
    console.error('usage: cli.ts migrate|rollback');
    process.exitCode = 2;
  }
} finally {
  await database.close();
}
