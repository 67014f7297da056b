import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The server's sources stay readable (docs/architecture.md): no file over 450 lines without the
 * reason at its top (`// Longer than 450 lines: …`).
 */
const SOURCES = fileURLToPath(new URL('../src', import.meta.url));
const MAX_LINES = 450;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

describe('the server sources', () => {
  it(`have no file over ${MAX_LINES} lines without a stated reason`, () => {
    const unexplained = files(SOURCES)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => ({ file: path.relative(SOURCES, file), text: readFileSync(file, 'utf8') }))
      .filter(
        ({ text }) => text.split('\n').length > MAX_LINES && !/^\/\/ Longer than 450 lines: \S/.test(text),
      )
      .map(({ file }) => file);
    expect(unexplained).toEqual([]);
  });
});
