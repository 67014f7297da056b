/**
 * `pnpm soak [--minutes 5] [--connections 16]`: a bounded mixed load (get, list, create, update,
 * me) against the built server, on a fresh PostgreSQL database when DATABASE_URL is set, else on
 * the embedded one. Reports RSS and req/s per slice, and the error count; exits 1 on any error, a
 * steady RSS climb, or req/s falling in every slice. Opt-in: not part of `pnpm test`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { load, rssMb } from './load';
import { REPO, start } from './processes';
import { seedThroughApi, templateBody } from './seed';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    slice: { type: 'string', default: '30' },
  },
});
const totalSeconds = Number(values.minutes) * 60;
const sliceSeconds = Math.min(Number(values.slice), totalSeconds);

execFileSync(process.execPath, ['apps/server/build.mjs'], { cwd: REPO, stdio: 'inherit' });
const adminUrl = process.env.DATABASE_URL;
const database = `switchboard_soak_${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-soak-'));
let databaseUrl: string | undefined;
if (adminUrl) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${database}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  databaseUrl = url.toString();
}

const server = await start('apps/server/dist/main.mjs', {
  DATABASE_URL: databaseUrl ?? '',
  DATA_DIR: dataDir,
  JWT_SECRET: randomBytes(32).toString('hex'),
  AUTH_RATE_LIMIT: '0',
  LOG_LEVEL: 'warn',
});
let failed = false;
try {
  const seeded = await seedThroughApi(server.url, 200);
  const ids = seeded.templateIds;
  const mix = (i: number) => {
    const id = ids[i % ids.length]!;
    switch (i % 10) {
      case 0:
        return {
          method: 'POST' as const,
          path: '/api/v1/session-templates',
          body: templateBody(seeded.agentIds, `Soak ${i}`),
        };
      case 1:
        return {
          method: 'PUT' as const,
          path: `/api/v1/session-templates/${id}`,
          body: { name: `Soaked ${i}` },
        };
      case 2:
      case 3:
        return { method: 'GET' as const, path: '/api/v1/session-templates?limit=50' };
      case 4:
        return { method: 'GET' as const, path: '/api/v1/auth/me' };
      default:
        return { method: 'GET' as const, path: `/api/v1/session-templates/${id}` };
    }
  };
  const startRss = rssMb(server.child.pid!);
  const slices: { rss: number; rps: number; errors: number }[] = [];
  console.log(
    `soak: ${values.minutes} min, ${values.connections} connections, ${databaseUrl ? 'PostgreSQL' : 'embedded'}; RSS at start ${Math.round(startRss)} MB`,
  );
  for (let elapsed = 0; elapsed < totalSeconds; elapsed += sliceSeconds) {
    const result = await load({
      url: server.url,
      connections: Number(values.connections),
      durationSeconds: sliceSeconds,
      warmupSeconds: 0,
      request: mix,
      token: seeded.token,
      pid: server.child.pid!,
    });
    const rss = rssMb(server.child.pid!);
    slices.push({ rss, rps: result.requestsPerSecond, errors: result.non2xx + result.errors });
    console.log(
      `  ${String(elapsed + sliceSeconds).padStart(4)} s  ${result.requestsPerSecond} req/s  p99 ${result.p99} ms  errors ${result.non2xx + result.errors}  RSS ${Math.round(rss)} MB`,
    );
  }
  const errors = slices.reduce((sum, slice) => sum + slice.errors, 0);
  const settled = slices[Math.min(1, slices.length - 1)]!.rss;
  const end = slices.at(-1)!.rss;
  const growing =
    slices.length >= 4 &&
    slices.slice(1).every((slice, i, all) => i === 0 || slice.rss > all[i - 1]!.rss) &&
    end > settled * 1.2;
  // The same load should serve as many requests at the end as after warming up: a server (or a
  // driver) that slows down the longer it runs, as postgres.js's pool did before its queue was
  // patched, fails here.
  const settledRps = slices[Math.min(1, slices.length - 1)]!.rps;
  const endRps = slices.at(-1)!.rps;
  const slowing =
    slices.length >= 4 &&
    slices.slice(1).every((slice, i, all) => i === 0 || slice.rps < all[i - 1]!.rps) &&
    endRps < settledRps * 0.8;
  console.log(
    `soak: RSS ${Math.round(startRss)} MB at start, ${Math.round(end)} MB at end; ${errors} errors; ${growing ? 'RSS grew in every slice' : 'no growth trend'}; ${Math.round(settledRps)} req/s after the first slice, ${Math.round(endRps)} in the last${slowing ? ', slower in every slice' : ''}`,
  );
  failed = errors > 0 || growing || slowing;
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (adminUrl) {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${database}" with (force)`);
    await admin.end();
  }
}
process.exit(failed ? 1 : 0);
