import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReport } from '../src/features/outcomes/reportWorker';
import { type ServerProcess, startProcess } from './processes';
import { createTenant, http, type TestServer } from './server';

/**
 * The built server (`build.mjs`, what `pnpm start` runs): it starts and serves, and reads outcome
 * reports on the worker bundled beside it (docs/deploying.md).
 */
const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const FOLDER = `.bundle-test-${process.pid}`;

describe('the built server', () => {
  let instance: ServerProcess | undefined;
  beforeAll(() => {
    execFileSync(process.execPath, ['build.mjs', FOLDER], { cwd: SERVER_DIR, stdio: 'inherit' });
  }, 60_000);
  afterAll(() => {
    instance?.child.kill('SIGKILL');
    rmSync(`${SERVER_DIR}${FOLDER}`, { recursive: true, force: true });
  });

  const report = (templateId: string, agentId: string) =>
    JSON.stringify({
      outcomes: Array.from({ length: 20 }, (_, i) => ({
        templateId,
        environment: 'production',
        release: { templateVersion: 1, agentVersions: { [agentId]: 1 }, arm: 'latest' },
        endedAt: new Date().toISOString(),
        status: i % 4 ? 'completed' : 'failed',
        firstResponseMs: 100 + i,
      })),
    });

  it('its worker bundle reads a report as the sources do', async () => {
    const bundled = (await import(pathToFileURL(`${SERVER_DIR}${FOLDER}/reportWorker.mjs`).href)) as {
      readReport: typeof readReport;
    };
    const text = report('0193a5b2-1c2d-7e3f-8a9b-0c1d2e3f4a5b', '0193a5b2-1c2d-7e3f-8a9b-0c1d2e3f4a51');
    const read = bundled.readReport(text, 'POST /session-outcomes');
    expect(read?.digest.count).toBe(20);
    expect(read).toEqual(readReport(text, 'POST /session-outcomes'));
  });

  it('starts, and counts reports read on its worker (no worker fails or falls back)', async () => {
    instance = await startProcess({ LOG_LEVEL: 'warn' }, undefined, `${FOLDER}/main.mjs`);
    const target = { url: instance.url } as TestServer;
    const tenant = await createTenant(target, 'Bundle');
    const as = { token: tenant.adminToken };
    const agent = await http(target, 'POST', '/api/v1/agents', {
      ...as,
      body: { name: 'Greeter', instructions: 'Hello' },
    });
    const template = await http(target, 'POST', '/api/v1/session-templates', {
      ...as,
      body: { name: 'Interview', agentIds: [agent.body.id] },
    });
    const posted = await http(target, 'POST', '/api/v1/session-outcomes', {
      ...as,
      body: report(template.body.id, agent.body.id),
    });
    expect(posted.status).toBe(202);
    const metrics = `/api/v1/environments/production/deployments/${template.body.id}/metrics`;
    await expect
      .poll(async () => (await http(target, 'GET', metrics, as)).body.arms.latest, { timeout: 10_000 })
      .toMatchObject({ sessions: 20, failed: 5 });
    expect(instance.output()).not.toMatch(/outcome report worker/);
  });
});
