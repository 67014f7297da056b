import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, DEFAULT_CATALOG } from '@switchboard/contract';
import { DEFAULT_MIGRATION_LOCK_TIMEOUT_MS } from '@switchboard/db';
import { z } from 'zod';

/** A first idempotent request whose claim has not been renewed for this long is taken to have died with its server. */
export const DEFAULT_TAKEOVER_MS = 60_000;

/**
 * The built dashboard (`apps/dashboard/dist`), found from the server's own folder (the nearest
 * one above this file with a `package.json`), so it is the same from the sources and from the
 * bundle in `dist/`. `DASHBOARD_DIR` points elsewhere.
 */
export const DEFAULT_DASHBOARD_DIR = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, '..', 'dashboard', 'dist');
})();

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every environment variable the server reads (README "Configuration" lists them). */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  AUTH_RATE_LIMIT: z.coerce.number().int().min(0).default(20),
  CORS_ORIGINS: z.string().default(''),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  DASHBOARD_DIR: z.string().min(1).optional(),
  MIGRATION_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).default(DEFAULT_MIGRATION_LOCK_TIMEOUT_MS),
  CATALOG_FILE: z.string().min(1).optional(),
  DRAIN_MS: z.coerce.number().int().min(0).default(2000),
  EVENT_STREAMS_PER_ORGANIZATION: z.coerce.number().int().min(1).default(100),
  EVENT_STREAM_STALL_MS: z.coerce.number().int().min(100).default(10_000),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
  WEBHOOK_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('5s,5m,30m,2h,5h,10h,10h')
    .transform((value, context) => {
      const delays = value.split(',').map((item) => durationMs(item.trim()));
      if (delays.some((delay) => delay === null)) {
        context.addIssue({
          code: 'custom',
          message: 'WEBHOOK_RETRY_SCHEDULE takes durations such as 5s,5m,2h',
        });
        return z.NEVER;
      }
      return delays as number[];
    }),
  WEBHOOK_DISABLE_AFTER: z
    .string()
    .default('5d')
    .transform((value, context) => {
      const ms = durationMs(value.trim());
      if (ms === null) {
        context.addIssue({ code: 'custom', message: 'WEBHOOK_DISABLE_AFTER takes a duration such as 5d' });
        return z.NEVER;
      }
      return ms;
    }),
  GUARD_INTERVAL: z
    .string()
    .default('10s')
    .transform((value, context) => {
      const ms = durationMs(value.trim());
      if (ms === null || ms < 100 || ms > 10_000) {
        context.addIssue({
          code: 'custom',
          message: 'GUARD_INTERVAL takes a duration from 100ms to 10s, such as 1s',
        });
        return z.NEVER;
      }
      return ms;
    }),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  TRUST_PROXY: z
    .string()
    .transform((value) => value.trim())
    .pipe(
      z.union([
        z
          .string()
          .regex(/^\d{1,3}$/)
          .transform(Number),
        z
          .string()
          .transform((value) => value.split(',').map((item) => item.trim()))
          .refine(
            (items) => items.every(isAddressOrCidr),
            'TRUST_PROXY must be a hop count or comma-separated IP addresses / CIDRs',
          ),
      ]),
    )
    .optional(),
});

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `500ms`, `5s`, `30m`, `2h`, `5d` in milliseconds; null for anything else. */
export function durationMs(value: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value);
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : null;
}

/** `10.0.0.0/8`, `::1`, `fd00::/8`, `192.168.1.7`: an address with an optional prefix length. */
function isAddressOrCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

export interface AppConfig {
  port: number;
  host: string;
  /** Unset: the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Signup and login attempts per minute per client address; 0 turns the limit off. */
  authRateLimit: number;
  corsOrigins: string[];
  databasePoolSize: number;
  statementTimeoutMs: number;
  migrationLockTimeoutMs: number;
  /** How often the last use of API keys is written (`lastUsedAt` is at most this old). */
  apiKeyUsageFlushMs: number;
  /** An idempotency key's claim left unrenewed this long may be taken over (docs/api.md: 60 s). */
  idempotencyTakeoverMs: number;
  /** What agents may choose (`CATALOG_FILE`, else the built-in default). */
  catalog: Catalog;
  /** On SIGTERM: how long readiness answers 503 while every other request is still served. */
  drainMs: number;
  /** After the drain: the longest in-flight requests may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** The built dashboard served at `/app`. */
  dashboardDir: string;
  /**
   * Which proxies' `X-Forwarded-For` is believed: a hop count, or their addresses / CIDRs. Unset
   * (false): the socket's address is the client's and the header is ignored, so no client can
   * choose its own rate-limit bucket.
   */
  trustProxy: false | number | string[];
  /** Open change-event streams an organization may hold across every instance (`EVENT_STREAMS_PER_ORGANIZATION`, docs/api.md: 100). */
  eventStreamsPerOrganization: number;
  /**
   * How long a change-event stream waits for its client to take what was sent (`EVENT_STREAM_STALL_MS`):
   * a client that stays behind longer is ended with a `retry:` hint and resumes by sequence.
   */
  eventStreamStallMs: number;
  /** Webhooks may reach loopback and private addresses (`WEBHOOK_ALLOW_PRIVATE=1`: tests, a private network). */
  webhookAllowPrivate: boolean;
  /** The wait before each retry of a failed delivery (`WEBHOOK_RETRY_SCHEDULE`), ±20%. */
  webhookRetryScheduleMs: number[];
  /** An endpoint whose every attempt failed for this long is disabled (`WEBHOOK_DISABLE_AFTER`). */
  webhookDisableAfterMs: number;
  /** How long an instance holds a delivery it attempts; a dead one's passes to another after it (`WEBHOOK_LEASE_MS`). */
  webhookLeaseMs: number;
  /** How often guarded canaries are judged, at most 10 s (`GUARD_INTERVAL`, docs/api.md "Session outcomes"). */
  guardIntervalMs: number;
  /** How often each instance adds the outcomes it received to the database. */
  outcomeFlushMs: number;
}

/**
 * Outcomes reach the database this often from each instance: a killed instance loses at most the
 * outcomes of its last half second, and a breach is acted on within `GUARD_INTERVAL` + 1 s.
 */
export const OUTCOME_FLUSH_MS = 500;

export class ConfigError extends Error {}

/**
 * Reads the configuration from the environment. In embedded mode a JWT secret is generated once
 * and kept in `DATA_DIR/jwt-secret`; with `DATABASE_URL` it must be given, since several
 * instances must share it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AppConfig {
  // An empty variable counts as unset (`DATABASE_URL=` selects the embedded database).
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  const dataDir = path.resolve(cwd, values.DATA_DIR);
  let jwtSecret = values.JWT_SECRET;
  if (!jwtSecret) {
    if (values.DATABASE_URL) throw new ConfigError('JWT_SECRET is required when DATABASE_URL is set');
    jwtSecret = embeddedSecret(dataDir);
  }
  return {
    port: values.PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    dataDir,
    jwtSecret,
    accessTokenTtlSeconds: values.ACCESS_TOKEN_TTL_SECONDS,
    logLevel: values.LOG_LEVEL,
    authRateLimit: values.AUTH_RATE_LIMIT,
    corsOrigins: values.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    databasePoolSize: values.DATABASE_POOL_SIZE,
    statementTimeoutMs: values.DATABASE_STATEMENT_TIMEOUT_MS,
    migrationLockTimeoutMs: values.MIGRATION_LOCK_TIMEOUT_MS,
    apiKeyUsageFlushMs: 30_000,
    idempotencyTakeoverMs: DEFAULT_TAKEOVER_MS,
    catalog: values.CATALOG_FILE ? readCatalog(path.resolve(cwd, values.CATALOG_FILE)) : DEFAULT_CATALOG,
    drainMs: values.DRAIN_MS,
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
    dashboardDir: values.DASHBOARD_DIR ? path.resolve(cwd, values.DASHBOARD_DIR) : DEFAULT_DASHBOARD_DIR,
    trustProxy: values.TRUST_PROXY ?? false,
    eventStreamsPerOrganization: values.EVENT_STREAMS_PER_ORGANIZATION,
    eventStreamStallMs: values.EVENT_STREAM_STALL_MS,
    webhookAllowPrivate: values.WEBHOOK_ALLOW_PRIVATE === '1',
    webhookRetryScheduleMs: values.WEBHOOK_RETRY_SCHEDULE,
    webhookDisableAfterMs: values.WEBHOOK_DISABLE_AFTER,
    webhookLeaseMs: values.WEBHOOK_LEASE_MS,
    guardIntervalMs: values.GUARD_INTERVAL,
    outcomeFlushMs: OUTCOME_FLUSH_MS,
  };
}

/** The operator's catalog: a JSON file of the `Catalog` shape; anything else stops the start. */
function readCatalog(file: string): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`CATALOG_FILE ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  const parsed = Catalog.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`,
    );
    throw new ConfigError(`CATALOG_FILE ${file} is not a catalog: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function embeddedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
