import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@switchboard/client';
import { startTestApp } from '@switchboard/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/switchboard.ts', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'switchboard-cli-'));

/** Runs `pnpm switchboard …` as CI would: a separate process, talking HTTP; never throws. */
async function switchboard(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, SWITCHBOARD_URL: '', SWITCHBOARD_TOKEN: '', INIT_CWD: work, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let url: string;
let close: () => Promise<void>;
let writeKey: string;
let readKey: string;
beforeAll(async () => {
  ({ url, close } = await startTestApp());
  const { accessToken } = await createClient({ url }).auth.signup.mutate({
    email: `cli-${Date.now()}@example.com`,
    password: 'password123',
    organizationName: 'CLI Org',
  });
  const admin = createClient({ url, token: accessToken });
  const agent = await admin.agents.create.mutate({ name: 'Greeter', instructions: 'Hi' });
  await admin.sessionTemplates.create.mutate({ name: 'Call', agentIds: [agent.id] });
  writeKey = (await admin.apiKeys.create.mutate({ name: 'CI', scope: 'write' })).secret;
  readKey = (await admin.apiKeys.create.mutate({ name: 'Reader', scope: 'read' })).secret;
}, 60_000);
afterAll(() => close?.());

describe(`pnpm switchboard (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('exports, reviews a dry run (exit 2 when it changes something), imports, and refuses in one line (exit 1)', async () => {
    const env = { SWITCHBOARD_URL: url, SWITCHBOARD_TOKEN: writeKey };
    const exported = await switchboard(['export', '--out', 'bundle.json'], env);
    expect(exported, exported.stderr).toMatchObject({ code: 0 });
    const file = path.join(work, 'bundle.json');
    const text = readFileSync(file, 'utf8');
    const bundle = JSON.parse(text);
    expect(bundle.agents.map((a: { name: string }) => a.name)).toEqual(['Greeter']);
    // The same data exports to the same bytes, to a file or to stdout.
    expect((await switchboard(['export'], env)).stdout).toBe(text);

    const unchanged = await switchboard(['import', 'bundle.json', '--dry-run'], env);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toContain('dry run, nothing written: 0 create, 0 update, 0 delete, 2 unchanged');

    bundle.agents[0].instructions = 'Hello';
    bundle.agents.push({ name: 'Closer', instructions: 'Bye' });
    writeFileSync(file, JSON.stringify(bundle));
    const dry = await switchboard(['import', 'bundle.json', '--dry-run', '--url', url, '--token', writeKey]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(/agent\s+Closer\s+create/);
    expect(dry.stdout).toMatch(/agent\s+Greeter\s+update\s+instructions/);
    expect(dry.stdout).toContain('1 create, 1 update, 0 delete, 1 unchanged');

    const applied = await switchboard(['import', 'bundle.json'], env);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('applied: 1 created, 1 updated, 0 deleted, 1 unchanged');
    expect((await switchboard(['import', 'bundle.json', '--dry-run'], env)).code).toBe(0);

    bundle.sessionTemplates[0].agents = ['Nobody'];
    writeFileSync(file, JSON.stringify(bundle));
    const refused = await switchboard(['import', 'bundle.json'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('No agent named "Nobody"');

    const reader = await switchboard(['import', 'bundle.json'], { ...env, SWITCHBOARD_TOKEN: readKey });
    expect(reader.code).toBe(1);
    expect(reader.stderr).toMatch(/FORBIDDEN/);
    const nobody = await switchboard(['export'], { SWITCHBOARD_URL: url });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/UNAUTHORIZED.*SWITCHBOARD_TOKEN/);
    const away = await switchboard(['export', '--url', 'http://127.0.0.1:9'], {
      SWITCHBOARD_TOKEN: writeKey,
    });
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/cannot reach the server/);
    writeFileSync(file, '{ not json');
    expect((await switchboard(['import', 'bundle.json'], env)).stderr).toMatch(
      /cannot read bundle.json as JSON/,
    );
    expect((await switchboard(['frobnicate'], env)).code).toBe(1);
  }, 60_000);

  it('imports a bundle of 2 MiB over tRPC as REST does (8 MiB limit), and says so plainly over 8 MiB', async () => {
    const env = { SWITCHBOARD_URL: url, SWITCHBOARD_TOKEN: writeKey };
    const bundleOf = (count: number) => ({
      format: 'switchboard.bundle/v1',
      agents: Array.from({ length: count }, (_, i) => ({
        name: `Big ${String(i).padStart(4, '0')}`,
        instructions: `Agent ${i}. ${'Speak slowly and clearly. '.repeat(640)}`,
      })),
      sessionTemplates: [],
    });
    const big = JSON.stringify(bundleOf(130));
    expect(big.length).toBeGreaterThan(2 * 1024 * 1024);
    writeFileSync(path.join(work, 'big.json'), big);
    const applied = await switchboard(['import', 'big.json'], env);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain('applied: 130 created');

    const huge = JSON.stringify(bundleOf(600));
    expect(huge.length).toBeGreaterThan(9 * 1024 * 1024);
    writeFileSync(path.join(work, 'huge.json'), huge);
    const refused = await switchboard(['import', 'huge.json', '--dry-run'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'switchboard: bundle is larger than 8 MiB, the most one import takes; split it in two',
    );
    expect(refused.stderr).not.toMatch(/cannot reach/);
  }, 60_000);
});
