import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestApp, type TestServer } from '@switchboard/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Packs @switchboard/runtime, installs the tarball with npm into a scratch project outside the
 * workspace, typechecks the README's integration under strict and runs it against a live server.
 */
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'switchboard-runtime-consumer-'));
let server: TestServer;

beforeAll(async () => {
  server = await startTestApp();
});
afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

async function call(method: string, route: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await response.json()) as Record<string, any>;
}

describe('the packed @switchboard/runtime in a project of its own', { timeout: 180_000 }, () => {
  it('installs with npm (nothing of the server), typechecks under strict, and serves a session', async () => {
    const execpath = process.env.npm_execpath ?? '';
    const pnpm = !execpath.includes('pnpm')
      ? ['npx', '-y', 'pnpm@12.4.2']
      : /\.[cm]?js$/.test(execpath)
        ? [process.execPath, execpath]
        : [execpath];
    run(pnpm[0]!, [...pnpm.slice(1), 'pack', '--pack-destination', scratch], packageDir);
    const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'))!;
    const listing = run('tar', ['-tzf', path.join(scratch, tarball)], scratch);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).not.toContain('package/src/');
    const manifest = JSON.parse(
      run('tar', ['-xzOf', path.join(scratch, tarball), 'package/package.json'], scratch),
    );
    expect(manifest.dependencies ?? {}).toEqual({});

    const project = path.join(scratch, 'project');
    run('mkdir', ['-p', project], scratch);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'runtime-consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@switchboard/runtime': `file:../${tarball}`,
          '@types/node': '^20.19.0',
          typescript: '7.0.2',
        },
      }),
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          outDir: 'out',
          lib: ['es2023', 'dom'],
          types: ['node'],
          skipLibCheck: false,
        },
        include: ['usage.ts'],
      }),
    );
    copyFileSync(path.join(packageDir, 'test/consumer/usage.ts'), path.join(project, 'usage.ts'));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
    expect(run('ls', ['node_modules', 'node_modules/@switchboard'], project)).not.toMatch(
      /fastify|drizzle|zod|server|contract/,
    );
    run(path.join(project, 'node_modules/.bin/tsc'), ['-p', '.'], project);

    // An organization whose template needs a variable, and a read key.
    const signup = await call('POST', '/auth/signup', undefined, {
      email: `runtime-consumer-${Date.now()}@example.com`,
      password: 'password123',
      organizationName: 'Runtime consumer',
    });
    const token = signup.accessToken as string;
    const agent = await call('POST', '/agents', token, {
      name: 'Greeter',
      instructions: 'Hello {{candidate_name}}.',
      variables: [{ name: 'candidate_name', type: 'string', required: true }],
    });
    const template = await call('POST', '/session-templates', token, { name: 'Call', agentIds: [agent.id] });
    const key = await call('POST', '/api-keys', token, { name: 'Runtime', scope: 'read' });
    const { stdout } = await promisify(execFile)(process.execPath, ['out/usage.js'], {
      cwd: project,
      env: {
        ...process.env,
        SWITCHBOARD_URL: server.url,
        SWITCHBOARD_KEY: key.secret,
        TEMPLATE_ID: template.id,
        SNAPSHOT_FILE: path.join(scratch, 'snapshot.json'),
      },
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      rendered: 'Hello Ada.',
      arm: 'latest',
      stale: false,
      refused: '400 BAD_REQUEST',
      unavailable: 'UNAVAILABLE',
      sent: 1,
    });
  });
});
