import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CATALOG } from '@switchboard/contract';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import type { FastifyInstance } from 'fastify';
import { type AppConfig, DEFAULT_DASHBOARD_DIR } from './core/config';
import { type BuildAppOptions, buildApp } from './http/app';

/** A server started for a test: its URL, the Fastify instance, its database and configuration. */
export interface TestServer {
  url: string;
  app: FastifyInstance;
  database: TestDatabase;
  config: AppConfig;
  /** Stops the server, and closes the database when the server created it. */
  close(): Promise<void>;
}

function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    dataDir: mkdtempSync(path.join(tmpdir(), 'switchboard-test-')),
    jwtSecret: 'test-secret-that-is-long-enough-for-hs256',
    accessTokenTtlSeconds: 3600,
    logLevel: 'silent',
    authRateLimit: 0,
    corsOrigins: [],
    databasePoolSize: 10,
    statementTimeoutMs: 5000,
    migrationLockTimeoutMs: 120_000,
    apiKeyUsageFlushMs: 30_000,
    idempotencyTakeoverMs: 60_000,
    catalog: DEFAULT_CATALOG,
    drainMs: 0,
    shutdownTimeoutMs: 30_000,
    trustProxy: false,
    dashboardDir: DEFAULT_DASHBOARD_DIR,
    // Tests deliver to receivers on loopback, quickly.
    webhookAllowPrivate: true,
    webhookRetryScheduleMs: [200, 400, 800],
    webhookDisableAfterMs: 5 * 86_400_000,
    webhookLeaseMs: 60_000,
    eventStreamsPerOrganization: 100,
    eventStreamStallMs: 10_000,
    guardIntervalMs: 10_000,
    outcomeFlushMs: 500,
    ...overrides,
  };
}

/**
 * The real server on a free loopback port, over a fresh database (PGlite in memory, or a new
 * PostgreSQL database when DATABASE_URL is set) unless the test passes one to share.
 * This package's tests and other packages' (`@switchboard/server/testing`) use it.
 */
export async function startTestApp(
  options: { config?: Partial<AppConfig>; database?: TestDatabase; logger?: BuildAppOptions['logger'] } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config = testConfig(options.config);
  const app = await buildApp({ database, config, logger: options.logger ?? false });
  recordStatuses(app);
  await app.listen({ port: config.port, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    database,
    config,
    async close() {
      await app.close();
      if (!options.database) await database.close();
    },
  };
}

/** Set by `test/observedStatuses.ts`: the folder where each test process notes the statuses its servers answered. */
export const OBSERVED_STATUSES_DIR = 'SWITCHBOARD_OBSERVED_STATUSES';
const noted = new Set<string>();

/**
 * Notes each REST operation's answered status (`GET /api/v1/agents/{id} 404`), once per process,
 * so the suite can check that the OpenAPI document declares every status the tests saw.
 */
function recordStatuses(app: FastifyInstance) {
  const dir = process.env[OBSERVED_STATUSES_DIR];
  if (!dir) return;
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (route?.startsWith('/api/v1/')) {
      const line = `${req.method} ${route.replace(/:(\w+)/g, '{$1}')} ${reply.statusCode}`;
      if (!noted.has(line)) {
        noted.add(line);
        appendFileSync(path.join(dir, `${process.pid}.txt`), `${line}\n`);
      }
    }
    done();
  });
}
