// Rewrites tRPC's `callRecursive` (in every dist file that has it) to copy the call's options with
// native object spread instead of Babel's `_objectSpread2` (patches/README.md says why and how).
// Usage: node patches/trpc-native-spread.mjs <the folder `pnpm patch @trpc/server@<version>` opened>
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2];
if (!root) throw new Error('usage: node patches/trpc-native-spread.mjs <package folder>');
const dist = path.join(root, 'dist');
let changed = 0;
for (const name of readdirSync(dist).filter((file) => /\.(mjs|cjs|js)$/.test(file))) {
  const file = path.join(dist, name);
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('async function callRecursive(index, _def, opts) {');
  if (start === -1) continue;
  const end = text.indexOf('} catch (cause) {', start);
  let region = text.slice(start, end);
  const count = (pattern) => (region.match(pattern) ?? []).length;
  const optsSpread = /((?:\w+\.)?)_objectSpread2\(\1_objectSpread2\(\{\}, opts\), \{\}, \{/g;
  const ctxSpread = /((?:\w+\.)?)_objectSpread2\(\1_objectSpread2\(\{\}, opts\.ctx\), nextOpts\.ctx\)/g;
  if (count(optsSpread) !== 2 || count(ctxSpread) !== 1 || count(/\}\)\);/g) !== 2) {
    throw new Error(`${name}: callRecursive is not the shape this patch knows; review it by hand`);
  }
  region = region
    .replace(optsSpread, '{\n\t\t\t...opts,')
    .replace(ctxSpread, '{ ...opts.ctx, ...nextOpts.ctx }')
    .replaceAll('}));', '});');
  writeFileSync(file, text.slice(0, start) + region + text.slice(end));
  changed++;
  console.log(`patched ${name}`);
}
if (!changed) throw new Error('no dist file has callRecursive: nothing patched');
