import { createTestDatabase } from '@switchboard/db/testing';
import { buildApp } from '@switchboard/server';

/** The real server on a free port over a fresh database (PGlite, or PostgreSQL with DATABASE_URL). */
export async function startApp(): Promise<{ url: string; close: () => Promise<void> }> {
  const database = await createTestDatabase();
  const app = await buildApp({
    database,
    logger: false,
    config: {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: database.url,
      dataDir: '.data-test',
      jwtSecret: 'client-test-secret-long-enough-for-hs256',
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
