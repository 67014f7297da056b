/**
 * Vitest global setup: while the suite runs, every test server notes the statuses its REST
 * operations answered (`src/testing.ts`); at the end, each one must be declared by the OpenAPI
 * document for that operation. A status the server answers and the document does not name
 * fails the run, listed by operation.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildOpenApiDocument } from '../src/http/rest/openapi';
import { OBSERVED_STATUSES_DIR } from '../src/testing';

/** The observed `METHOD /path status` lines the document does not declare (HEAD is GET's). */
export function undeclaredStatuses(lines: Iterable<string>): string[] {
  const paths = buildOpenApiDocument().paths as Record<string, Record<string, { responses: object }>>;
  const undeclared = new Set<string>();
  for (const line of lines) {
    const [method, route, status] = line.split(' ') as [string, string, string];
    if (route === '/api/v1/openapi.json') continue; // the document itself
    const operation = paths[route]?.[method === 'HEAD' ? 'get' : method.toLowerCase()];
    // A method the path does not take is answered 405 by the not-found handler, never here.
    if (!operation) {
      undeclared.add(`${line} (no such operation in the document)`);
      continue;
    }
    if (!(status in operation.responses)) undeclared.add(line);
  }
  return [...undeclared].sort();
}

export default function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-statuses-'));
  process.env[OBSERVED_STATUSES_DIR] = dir;
  return () => {
    const lines = readdirSync(dir).flatMap((file) =>
      readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean),
    );
    rmSync(dir, { recursive: true, force: true });
    const undeclared = undeclaredStatuses(lines);
    if (undeclared.length) {
      throw new Error(
        `The OpenAPI document does not declare ${undeclared.length} status(es) the tests saw the server answer:\n${undeclared.join('\n')}`,
      );
    }
    console.log(
      `OpenAPI: each of the ${new Set(lines).size} operation statuses the tests observed is declared.`,
    );
  };
}
