import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { buildApp } from './app';

/**
 * For other packages' tests: the real server on a free port over a fresh database (PGlite in
 * memory, or a new PostgreSQL database when DATABASE_URL is set). Closing it closes the database.
 */
export async function startTestApp(
  options: { database?: TestDatabase } = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const database = options.database ?? (await createTestDatabase());
  const app = await buildApp({
    database,
    logger: false,
    config: {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: database.url,
      dataDir: '.data-test',
      jwtSecret: 'test-secret-that-is-long-enough-for-hs256',
      accessTokenTtlSeconds: 3600,
      logLevel: 'silent',
      authRateLimit: 0,
      corsOrigins: [],
      databasePoolSize: 5,
      statementTimeoutMs: 5000,
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
