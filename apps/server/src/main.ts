import path from 'node:path';
import { createDatabase, migrate } from '@switchboard/db';
import { ConfigError, loadConfig } from './core/config';
import { buildApp } from './http/app';
import { gracefulShutdown } from './http/shutdown';

/** `pnpm start`: read the configuration, migrate, serve; drain, then stop gracefully on SIGTERM/SIGINT. */
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

  const shutdown = gracefulShutdown(app, app.lifecycle, {
    drainMs: config.drainMs,
    timeoutMs: config.shutdownTimeoutMs,
    release: () => database.close(),
    exit: (code) => process.exit(code),
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    `Switchboard on http://${config.host}:${config.port} (${database.driver === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'}); API docs at /docs`,
  );
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
