import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { agents as agentsTable, organizations, sessionTemplates } from '@switchboard/db';
import { createTestDatabase, type TestDatabase } from '@switchboard/db/testing';
import { startTestApp } from '@switchboard/server/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENTS, DEMO_ORGANIZATION, DEMO_TEMPLATE } from '../src/seed';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Runs `pnpm seed` as a user would (a separate process talking HTTP); never throws. */
async function seedCommand(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main, ...args], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, SEED_ADMIN_EMAIL: '', SEED_ADMIN_PASSWORD: '', SWITCHBOARD_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let database: TestDatabase;
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  database = await createTestDatabase();
  ({ url, close } = await startTestApp({ database }));
});
afterAll(async () => {
  await close?.();
  await database?.close();
});

describe(`pnpm seed (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('creates the demo data once; a second run creates nothing', async () => {
    const first = await seedCommand('--url', url);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created\s+session template\s+Default Coding Interview/);
    expect(first.stdout).toContain('admin@example.com / switchboard-demo');

    const second = await seedCommand('--url', url);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^created/m);
    expect(second.stdout).toContain('nothing to create');

    const orgs = await database.db
      .select()
      .from(organizations)
      .where(eq(organizations.name, DEMO_ORGANIZATION));
    expect(orgs).toHaveLength(1);
    const agentRows = await database.db
      .select()
      .from(agentsTable)
      .where(eq(agentsTable.organizationId, orgs[0]!.id));
    expect(agentRows.map((agent) => agent.name).sort()).toEqual([
      DEMO_AGENTS.coder.name,
      DEMO_AGENTS.triage.name,
    ]);
    const templates = await database.db
      .select()
      .from(sessionTemplates)
      .where(eq(sessionTemplates.name, DEMO_TEMPLATE));
    expect(templates).toHaveLength(1);
    const triage = agentRows.find((agent) => agent.name === DEMO_AGENTS.triage.name)!;
    const coder = agentRows.find((agent) => agent.name === DEMO_AGENTS.coder.name)!;
    expect(triage).toMatchObject({ modality: 'audio_only', panels: [] });
    expect(coder).toMatchObject({ modality: 'audio_screenshare', panels: ['coding_ide'] });
    expect(templates[0]).toMatchObject({
      agentIds: [triage.id, coder.id],
      initialAgentId: triage.id,
      modalityProfile: 'audio_screenshare',
      enabledPanels: ['coding_ide'],
      maxDurationSeconds: 3600,
      idleTimeoutSeconds: 300,
    });
  });

  it('completes a half-seeded instance without duplicates', async () => {
    const [template] = await database.db
      .select()
      .from(sessionTemplates)
      .where(eq(sessionTemplates.name, DEMO_TEMPLATE));
    await database.db.delete(sessionTemplates).where(eq(sessionTemplates.id, template!.id));
    const again = await seedCommand('--url', url);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/found\s+agent\s+Triage Agent/);
    expect(again.stdout).toMatch(/created\s+session template/);
    expect(
      await database.db.select().from(sessionTemplates).where(eq(sessionTemplates.name, DEMO_TEMPLATE)),
    ).toHaveLength(1);
    expect(await database.db.select().from(agentsTable)).toHaveLength(2);
  });

  it('exits non-zero with one line for an unreachable server and for a wrong password', async () => {
    const unreachable = await seedCommand('--url', 'http://127.0.0.1:9');
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/cannot reach the server/);

    const wrong = await seedCommand('--url', url, '--admin-password', 'not-the-password');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/wrong password/);
    expect(wrong.stdout).not.toContain('not-the-password');
  });

  it('never prints a password it was given, only the documented demo one', async () => {
    const run = await seedCommand(
      '--url',
      url,
      '--admin-email',
      'chosen-admin@example.com',
      '--admin-password',
      'chosen-admin-secret',
      '--member-email',
      'chosen-member@example.com',
      '--member-password',
      'chosen-member-secret',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('chosen-admin@example.com / (the password you gave)');
    expect(run.stdout + run.stderr).not.toContain('chosen-admin-secret');
    expect(run.stdout + run.stderr).not.toContain('chosen-member-secret');
  });
});
