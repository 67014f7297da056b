import path from 'node:path';
import { createDatabase, migrate } from '@switchboard/db';
import { buildApp } from './app';
import { ConfigError, loadConfig } from './config';

/** `pnpm start`: read the configuration, migrate, serve; stop gracefully on SIGTERM/SIGINT. */
async function main() {
  const config = loadConfig(process.env, process.env.INIT_CWD ?? process.cwd());
  const database = await createDatabase(
    config.databaseUrl
      ? {
          url: config.databaseUrl,
          maxConnections: config.databasePoolSize,
          statementTimeoutMs: config.statementTimeoutMs,
        }
      : { dataDir: path.join(config.dataDir, 'pglite') },
  );
  await migrate(database.db, { lockTimeoutMs: config.migrationLockTimeoutMs });
  const app = await buildApp({ database, config });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.close();
      await database.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    `Switchboard on http://${config.host}:${config.port} (${database.driver === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'}); API docs at /docs`,
  );
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
