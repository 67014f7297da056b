// @vitest-environment node
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** Checks on the production build (`vite build`, run by the test script before this). */
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const assets = readdirSync(path.join(dist, 'assets'));
const gzipped = (file: string) =>
  gzipSync(readFileSync(path.join(dist, file.replace(/^\/app\//, '')))).length;

describe('the production build', () => {
  it('loads at most 200 KB of gzipped JavaScript for the first page', () => {
    // What the browser fetches before the first page renders: the entry and its preloaded chunks.
    const initial = [...html.matchAll(/(?:src|href)="(\/app\/assets\/[^"]+\.js)"/g)].map(
      (match) => match[1]!,
    );
    expect(initial.length).toBeGreaterThan(0);
    const total = initial.reduce((sum, file) => sum + gzipped(file), 0);
    expect(total).toBeLessThanOrEqual(200 * 1024);
  });

  it('carries no server code: no Fastify, Drizzle, database driver, password hashing or tRPC server', () => {
    const markers = [
      /fastify/i,
      /drizzle/i,
      /pg_advisory/,
      /postgres\.js/,
      /scrypt/,
      /initTRPC/,
      /@electric-sql/,
    ];
    for (const file of assets.filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(path.join(dist, 'assets', file), 'utf8');
      for (const marker of markers) expect(marker.test(text), `${file} contains ${marker}`).toBe(false);
    }
  });

  it("has no inline script, so the server's strict CSP holds", () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
