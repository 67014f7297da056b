/**
 * `pnpm demo`: starts the server (embedded database unless DATABASE_URL is set), seeds the demo
 * data through the typed client, and prints where to look. Ctrl-C stops both cleanly; a second
 * run reuses the data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEMO_PASSWORD, SeedError, seed } from './seed';

const port = process.env.PORT ?? '3000';
const host = process.env.HOST ?? '127.0.0.1';
const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
const serverDir = fileURLToPath(new URL('../../server', import.meta.url));

const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: serverDir,
  env: { ...process.env, PORT: port, HOST: host, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  stdio: 'inherit',
});

let stopping = false;
server.on('exit', (code) => {
  if (!stopping) console.error(`demo: the server exited (code ${code})`);
  process.exit(stopping ? 0 : (code ?? 1));
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopping = true;
    server.kill(signal);
  });
}

async function ready(): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (server.exitCode !== null) return;
    const ok = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new SeedError(`the server did not become ready at ${url}`);
}

try {
  await ready();
  const options = {
    url,
    adminEmail: 'admin@example.com',
    adminPassword: DEMO_PASSWORD,
    memberEmail: 'member@example.com',
    memberPassword: DEMO_PASSWORD,
  };
  const result = await seed(options);
  const created = result.steps.filter((step) => step.created).length;
  console.log(`
Dashboard:     ${url}/app   (sign in as ${options.adminEmail} / ${options.adminPassword})

Switchboard is running at ${url} (${process.env.DATABASE_URL ? 'PostgreSQL' : `embedded database in ${process.env.DATA_DIR ?? '.data'}`})
  demo data:   ${created ? `${created} records created` : 'found from an earlier run'}
  Swagger UI:  ${url}/docs
  OpenAPI:     ${url}/api/v1/openapi.json
  admin:       ${options.adminEmail} / ${options.adminPassword}
  member:      ${options.memberEmail}${result.memberPasswordWorks ? ` / ${options.memberPassword}` : ''}

List the session templates:
  TOKEN=$(curl -s -X POST ${url}/api/v1/auth/login -H 'content-type: application/json' \\
    -d '{"email":"${options.adminEmail}","password":"${options.adminPassword}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
  curl -s ${url}/api/v1/session-templates -H "authorization: Bearer $TOKEN"

Press Ctrl-C to stop.`);
} catch (error) {
  console.error(`demo: ${error instanceof SeedError ? error.message : String(error)}`);
  stopping = true;
  server.kill('SIGTERM');
  process.exitCode = 1;
}
