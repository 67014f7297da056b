import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverName, expectError, http, startServer, type TestServer } from './server';

/** The server serves the built dashboard at /app (deep links too); every other path keeps the API's answers. */
let server: TestServer;
let unbuilt: TestServer;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-dashboard-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><title>Switchboard</title><div id="root"></div>',
  );
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  server = await startServer({ config: { dashboardDir: dir } });
  unbuilt = await startServer({
    database: server.database,
    config: { dashboardDir: path.join(dir, 'missing') },
  });
});
afterAll(async () => {
  await unbuilt?.close();
  await server?.close();
});

describe(`the dashboard at /app (${driverName})`, () => {
  it('serves index.html for /app and every deep link under it, with the strict CSP', async () => {
    for (const url of [
      '/app',
      '/app/',
      '/app/templates',
      '/app/templates/0F8FAD5B-D9CB-469F-A165-70867728950E?q=x',
    ]) {
      const res = await fetch(server.url + url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toMatch(/text\/html/);
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets with a long cache, and GET / redirects to /app', async () => {
    const asset = await fetch(`${server.url}/app/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/app/');
  });

  it('keeps the JSON 404 everywhere else, and for writes under /app', async () => {
    expectError(await http(server, 'GET', '/api/v1/nothing'), 404, 'NOT_FOUND');
    expectError(await http(server, 'GET', '/apps'), 404, 'NOT_FOUND');
    expectError(await http(server, 'POST', '/app/templates', { body: {} }), 404, 'NOT_FOUND');
  });

  it('without a build, /app says how to make one', async () => {
    const error = expectError(await http(unbuilt, 'GET', '/app/templates'), 404, 'NOT_FOUND');
    expect(error.message).toMatch(/dashboard is not built/);
  });
});
