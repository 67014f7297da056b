import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/core/config';
import { PRODUCTION_NODE_FLAGS } from '../src/core/nodeFlags';

describe('configuration', () => {
  it('defaults to the embedded database and keeps one generated JWT secret in DATA_DIR', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-config-'));
    const first = loadConfig({ DATA_DIR: dir, DATABASE_URL: '' }, '/');
    expect(first).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      authRateLimit: 20,
      logLevel: 'info',
    });
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim()).toBe(first.jwtSecret);
    expect(loadConfig({ DATA_DIR: dir }, '/').jwtSecret).toBe(first.jwtSecret);
  });

  it('requires JWT_SECRET with DATABASE_URL, and refuses invalid values', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x', JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://localhost/x', JWT_SECRET: 'x'.repeat(32) })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ PORT: 'eighty', JWT_SECRET: 'x'.repeat(32) })).toThrow(/PORT/);
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/switchboard',
      JWT_SECRET: 'x'.repeat(32),
      PORT: '8080',
      HOST: '0.0.0.0',
      AUTH_RATE_LIMIT: '0',
      CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
      LOG_LEVEL: 'warn',
      MIGRATION_LOCK_TIMEOUT_MS: '30000',
      DASHBOARD_DIR: '/srv/dashboard',
    });
    expect(config).toMatchObject({
      migrationLockTimeoutMs: 30_000,
      dashboardDir: '/srv/dashboard',
      port: 8080,
      host: '0.0.0.0',
      authRateLimit: 0,
      corsOrigins: ['https://a.example.com', 'https://b.example.com'],
      logLevel: 'warn',
    });
  });

  it('`pnpm start` runs the bundle with the production Node flags', () => {
    const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(root.scripts.start).toContain(`node ${PRODUCTION_NODE_FLAGS.join(' ')} apps/server/dist/main.mjs`);
  });
});
