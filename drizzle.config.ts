import { defineConfig } from 'drizzle-kit';

/**
 * `pnpm db:generate` writes a new migration from the schema. Every generated migration gets a
 * hand-written reverse in packages/db/migrations/down/<tag>.sql, applied by `pnpm db:rollback`.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/index.ts',
  out: './packages/db/migrations',
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : {}),
});
