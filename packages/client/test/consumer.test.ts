import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from './app';

/**
 * Packs @switchboard/client, installs the tarball with npm into a scratch project outside the
 * workspace (no links, no repository tsconfig), typechecks a usage file under strict, and runs it
 * against a live server.
 */
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'switchboard-consumer-'));
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ url, close } = await startApp());
});
afterAll(async () => {
  await close?.();
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * The names `src/index.ts` exports, read from its text: types (`export type`, `type X` in a list,
 * interfaces) and values (constants, functions, classes).
 */
function exportedNames(source: string): { types: string[]; values: string[] } {
  const types = new Set<string>();
  const values = new Set<string>();
  for (const [, typeOnly, list] of source.matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const raw of list!.split(',')) {
      const item = raw.trim();
      if (!item) continue;
      const [, typed, name] = /^(type )?(\w+)$/.exec(item)!;
      (typeOnly || typed ? types : values).add(name!);
    }
  }
  for (const [, kind, name] of source.matchAll(/^export (interface|type|function|const|class) (\w+)/gm)) {
    (kind === 'interface' || kind === 'type' ? types : values).add(name!);
  }
  return { types: [...types].sort(), values: [...values].sort() };
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  try {
    return execFileSync(command, args, {
      cwd,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

describe('the packed @switchboard/client in a project of its own', { timeout: 180_000 }, () => {
  it('packs with compiled JavaScript and self-contained declarations', () => {
    // The pnpm that runs this test (npm_execpath), else the pinned one through npx.
    const execpath = process.env.npm_execpath ?? '';
    const pnpm = !execpath.includes('pnpm')
      ? ['npx', '-y', 'pnpm@12.4.2']
      : /\.[cm]?js$/.test(execpath)
        ? [process.execPath, execpath]
        : [execpath];
    run(pnpm[0]!, [...pnpm.slice(1), 'pack', '--pack-destination', scratch], packageDir);
    const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'));
    expect(tarball).toBeTruthy();
    const listing = run('tar', ['-tzf', path.join(scratch, tarball!)], scratch);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).not.toContain('package/src/');
    const manifest = JSON.parse(
      run('tar', ['-xzOf', path.join(scratch, tarball!), 'package/package.json'], scratch),
    );
    expect(manifest.exports['.'].types).toBe('./dist/index.d.ts');
    expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('@switchboard');
    expect(manifest.peerDependencies['@trpc/client']).toBeTruthy();
  });

  it('installs with npm, typechecks under strict (wrong calls are errors), and drives a live server', async () => {
    const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'))!;
    const project = path.join(scratch, 'project');
    run('mkdir', ['-p', project], scratch);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@switchboard/client': `file:../${tarball}`,
          '@trpc/client': '11.25.2',
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
          lib: ['es2023', 'dom', 'esnext.disposable'],
          types: ['node'],
          skipLibCheck: false,
        },
        include: ['usage.ts'],
      }),
    );
    copyFileSync(path.join(packageDir, 'test/consumer/usage.ts'), path.join(project, 'usage.ts'));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
    expect(run('ls', ['node_modules'], project)).not.toMatch(/fastify|drizzle|zod/);
    // Every name the source exports, imported by a consumer: each type used as a type, each value
    // as a value (its JavaScript is there at run time), and the shapes docs/api.md names among them.
    const names = exportedNames(readFileSync(path.join(packageDir, 'src/index.ts'), 'utf8'));
    for (const name of [
      'Deployment',
      'Environment',
      'Release',
      'ReleaseRecord',
      'Variable',
      'AuditEvent',
      'ApiKey',
      'Webhook',
      'Delivery',
      'SessionConfig',
      'AUDIT_ACTIONS',
      'API_KEY_SCOPES',
    ]) {
      expect([...names.types, ...names.values], name).toContain(name);
    }
    writeFileSync(
      path.join(project, 'every.ts'),
      [
        `import { ${[...names.types.map((name) => `type ${name}`), ...names.values].join(', ')} } from '@switchboard/client';`,
        ...names.types.map((name) => `export type Uses${name} = ${name};`),
        `export const values = [${names.values.join(', ')}] as const;`,
        'for (const value of values) if (value === undefined) throw new Error("a value is missing");',
        'console.log(JSON.stringify({ values: values.length }));',
      ].join('\n'),
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        ...JSON.parse(readFileSync(path.join(project, 'tsconfig.json'), 'utf8')),
        include: ['usage.ts', 'every.ts'],
      }),
    );
    run(path.join(project, 'node_modules/.bin/tsc'), ['-p', '.'], project);
    const every = JSON.parse(run(process.execPath, ['out/every.js'], project).trim());
    expect(every.values).toBe(names.values.length);
    // Asynchronously: the server under test runs in this very process.
    const { stdout } = await promisify(execFile)(process.execPath, ['out/usage.js'], {
      cwd: project,
      env: { ...process.env, SWITCHBOARD_URL: url },
    });
    const output = JSON.parse(stdout.trim());
    expect(output).toMatchObject({
      updatedName: 'Renamed',
      updatedVersion: 2,
      copyName: 'Renamed (Copy)',
      deletedStatus: 404,
      profile: 'audio_screenshare',
      streamed: 'Streamed rename',
    });
    expect(output.listed).toEqual([output.created]);
  });
});
