/**
 * `pnpm switchboard export [--out FILE]`
 * `pnpm switchboard import FILE [--dry-run] [--prune]`
 * Both take `--url` (or SWITCHBOARD_URL, default http://127.0.0.1:3000) and `--token` (or
 * SWITCHBOARD_TOKEN: an API key, or a user's access token). Exit codes: 0 done; 1 refused or failed
 * (one line on stderr says why); 2 a dry run found changes (so CI can gate on it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ImportPlan } from '@switchboard/client';
import { connect, errorCode, reasonOf, unreachable } from './client';

const USAGE =
  'usage: pnpm switchboard export [--out FILE] | import FILE [--dry-run] [--prune]  [--url URL] [--token TOKEN]';

/** The plan as a table of what changes, and one line of counts. */
export function planTable(plan: ImportPlan): string {
  const rows = plan.changes.filter((change) => change.action !== 'unchanged');
  const kindWidth = Math.max(4, ...rows.map((row) => row.kind.length));
  const nameWidth = Math.max(4, ...rows.map((row) => row.name.length));
  const lines = rows.length
    ? [
        `${'KIND'.padEnd(kindWidth)}  ${'NAME'.padEnd(nameWidth)}  ${'ACTION'.padEnd(6)}  FIELDS`,
        ...rows.map((row) =>
          `${row.kind.padEnd(kindWidth)}  ${row.name.padEnd(nameWidth)}  ${row.action.padEnd(6)}  ${row.fields.join(', ')}`.trimEnd(),
        ),
      ]
    : [];
  const count = (action: string) => plan.changes.filter((change) => change.action === action).length;
  const verb = plan.applied ? 'd' : '';
  const heading = plan.applied ? 'applied' : plan.dryRun ? 'dry run, nothing written' : 'nothing to change';
  lines.push(
    `${heading}: ${count('create')} create${verb}, ${count('update')} update${verb}, ${count('delete')} delete${verb}, ${count('unchanged')} unchanged`,
  );
  return lines.join('\n');
}

/** Runs one command; answers the exit code. `cwd` resolves FILE and --out (pnpm runs scripts from the root). */
export async function main(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    console.error(`switchboard: ${(error as Error).message}\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const url = values.url ?? (env.SWITCHBOARD_URL || 'http://127.0.0.1:3000');
  const token = values.token ?? (env.SWITCHBOARD_TOKEN || undefined);
  const api = connect(url, token);
  const [command, file, ...extra] = positionals;
  try {
    if (command === 'export' && !file) {
      const bundle = await api.config.export.query();
      const text = `${JSON.stringify(bundle, null, 2)}\n`;
      if (values.out) {
        await writeFile(path.resolve(cwd, values.out), text);
        console.error(
          `exported ${bundle.agents.length} agents and ${bundle.sessionTemplates.length} templates to ${values.out}`,
        );
      } else process.stdout.write(text);
      return 0;
    }
    if (command === 'import' && file && !extra.length) {
      let bundle: unknown;
      try {
        bundle = JSON.parse(await readFile(path.resolve(cwd, file), 'utf8'));
      } catch (error) {
        console.error(`switchboard: cannot read ${file} as JSON: ${(error as Error).message}`);
        return 1;
      }
      const plan = await api.config.import.mutate({
        bundle: bundle as never,
        dryRun: values['dry-run'] ?? false,
        prune: values.prune ?? false,
      });
      console.log(planTable(plan));
      const changes = plan.changes.some((change) => change.action !== 'unchanged');
      return plan.dryRun && changes ? 2 : 0;
    }
    console.error(USAGE);
    return 1;
  } catch (error) {
    if (errorCode(error) === 'PAYLOAD_TOO_LARGE') {
      console.error(`switchboard: bundle is larger than 8 MiB, the most one import takes; split it in two`);
      return 1;
    }
    const hint = unreachable(error)
      ? ` at ${url}: is it running? (--url or SWITCHBOARD_URL)`
      : errorCode(error) === 'UNAUTHORIZED'
        ? ' (pass an API key or a token: --token or SWITCHBOARD_TOKEN)'
        : '';
    console.error(`switchboard: ${reasonOf(error)}${hint}`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      out: { type: 'string' },
      'dry-run': { type: 'boolean' },
      prune: { type: 'boolean' },
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2), process.env, process.env.INIT_CWD ?? process.cwd());
}
