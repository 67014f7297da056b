// Bundles the server and the workspace packages it imports (TypeScript) into dist/main.mjs, and each
// worker thread's entry beside it (core/workerThreads.ts starts `dist/<name>.mjs`), with every
// third-party package left as an import, and copies the migrations beside them. Production
// runs plain JavaScript: no TypeScript loader thread, ~90 MB less memory under load.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const here = (path) => new URL(path, import.meta.url);
const { dependencies } = JSON.parse(readFileSync(here('package.json'), 'utf8'));
const bundled = (name) => name.startsWith('@switchboard/') || name === 'drizzle-orm';
const external = Object.keys(dependencies).filter((name) => !bundled(name));

// `node build.mjs [folder]`: into `dist/`, or another folder of this package (a test builds into one).
const out = here(`${process.argv[2] ?? 'dist'}/`);
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [
    { in: here('src/main.ts').pathname, out: 'main' },
    { in: here('src/features/outcomes/reportWorker.ts').pathname, out: 'reportWorker' },
  ],
  outdir: out.pathname,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: [...external, ...external.map((name) => `${name}/*`)],
  logLevel: 'warning',
});
cpSync(here('../../packages/db/migrations'), new URL('migrations', out), { recursive: true });
