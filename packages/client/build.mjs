// Builds the publishable package: dist/index.js (ESM, @trpc/client left as an import) and
// dist/index.d.ts, whose types are written out in full — the router's procedures with their
// inputs and outputs, and the entities — so a consumer needs neither @switchboard/server nor its
// dependencies (Fastify, Drizzle, zod) nor this repository's tsconfig. The declarations are printed
// with TypeScript 5.9's compiler API (TypeScript 7 has none); only this build uses it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import ts from 'typescript-api';

const here = (path) => new URL(path, import.meta.url).pathname;
rmSync(here('dist'), { recursive: true, force: true });
mkdirSync(here('dist'));

await build({
  entryPoints: [here('src/index.ts')],
  outfile: here('dist/index.js'),
  bundle: true,
  platform: 'neutral',
  format: 'esm',
  target: 'es2022',
  external: ['@trpc/client', '@trpc/server'],
  logLevel: 'warning',
});

// A probe module for the few types the declarations spell out beside what `src/index.ts` exports
// (the router's procedures and error shape), compiled in the package so its imports resolve. Every
// exported name is read off `src/index.ts` itself: the package keeps no second list.
const probeFile = here('src/declarations-probe.ts');
const indexFile = here('src/index.ts');
writeFileSync(
  probeFile,
  [
    "import type { AppRouter } from '@switchboard/server';",
    "import type * as client from './index';",
    'export type ClientOptions = { [K in keyof client.ClientOptions]: client.ClientOptions[K] };',
    "export type Procedures = AppRouter['_def']['record'];",
    "export type ErrorShape = AppRouter['_def']['_config']['$types']['errorShape'];",
  ].join('\n'),
);
/** What the declarations write out by hand (the client itself), not printed from the checker. */
const WRITTEN = new Set([
  'AppRouter',
  'RouterInputs',
  'RouterOutputs',
  'SwitchboardClient',
  'ClientOptions',
  'createClient',
  'TRPCClientError',
]);
try {
  const program = ts.createProgram([probeFile, indexFile], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ['node'],
  });
  const errors = ts.getPreEmitDiagnostics(program);
  if (errors.length) {
    throw new Error(ts.formatDiagnostics(errors, ts.createCompilerHost({})));
  }
  const checker = program.getTypeChecker();
  const probe = program.getSourceFile(probeFile);
  const exported = new Map(
    checker.getExportsOfModule(checker.getSymbolAtLocation(probe)).map((symbol) => [symbol.name, symbol]),
  );
  const flags =
    ts.TypeFormatFlags.NoTruncation |
    ts.TypeFormatFlags.UseStructuralFallback |
    ts.TypeFormatFlags.InTypeAlias;
  const typeOf = (name) => checker.getDeclaredTypeOfSymbol(exported.get(name));
  const print = (type) => checker.typeToString(type, probe, flags);

  // Every other name `src/index.ts` exports, as it exports it: a type (`export type`) printed in
  // full, a value (a constant, a function) declared with its type.
  const index = program.getSourceFile(indexFile);
  const isTypeOnly = (symbol) =>
    (symbol.declarations ?? []).some(
      (declaration) =>
        (ts.isExportSpecifier(declaration) &&
          (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly)) ||
        ts.isTypeAliasDeclaration(declaration) ||
        ts.isInterfaceDeclaration(declaration),
    );
  const exportsOfIndex = checker
    .getExportsOfModule(checker.getSymbolAtLocation(index))
    .filter((symbol) => !WRITTEN.has(symbol.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const printedExports = exportsOfIndex.map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return isTypeOnly(symbol)
      ? `export type ${symbol.name} = ${checker.typeToString(checker.getDeclaredTypeOfSymbol(target), index, flags)};`
      : `export declare const ${symbol.name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(target, index), index, flags)};`;
  });
  const property = (type, name) => checker.getTypeOfSymbol(type.getProperty(name));

  // Each procedure: its kind, and its input and output as the client sees them.
  const procedures = typeOf('Procedures');
  const groups = checker.getPropertiesOfType(procedures).map((group) => {
    const groupType = checker.getTypeOfSymbol(group);
    const members = checker.getPropertiesOfType(groupType).map((procedure) => {
      const procedureType = checker.getTypeOfSymbol(procedure);
      const kind = print(property(property(procedureType, '_def'), 'type')).replaceAll('"', '');
      const types = property(property(procedureType, '_def'), '$types');
      const input = print(property(types, 'input'));
      const output = print(property(types, 'output'));
      const wrapper = {
        query: 'TRPCQueryProcedure',
        mutation: 'TRPCMutationProcedure',
        subscription: 'TRPCSubscriptionProcedure',
      }[kind];
      return `    ${procedure.name}: ${wrapper}<{ input: ${input}; output: ${output}; meta: object }>;`;
    });
    return `  ${group.name}: {\n${members.join('\n')}\n  };`;
  });

  const declarations = `// Generated by build.mjs from the server's router and the contract: do not edit.
import type { TRPCClient } from '@trpc/client';
import type {
  inferRouterInputs,
  inferRouterOutputs,
  TRPC_ERROR_CODE_NUMBER,
  TRPCBuiltRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,
} from '@trpc/server';

/** A subscription's event as the client receives it: its id (to resume after) and its data. */
type Tracked<TData> = { id: string; data: TData };

export type ErrorShape = { code: TRPC_ERROR_CODE_NUMBER; message: string; data: ${print(property(typeOf('ErrorShape'), 'data'))} };

export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: ErrorShape; transformer: false },
  {
${groups.join('\n')}
  }
>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type SwitchboardClient = TRPCClient<AppRouter>;

${printedExports.join('\n')}

export type ClientOptions = ${print(typeOf('ClientOptions'))};

/** The typed Switchboard client. Errors are TRPCClientErrors whose \`data\` carries \`code\`, \`httpStatus\` and \`details\`. */
export declare function createClient(options: ClientOptions): SwitchboardClient;
export { TRPCClientError } from '@trpc/client';
`;
  // Every type must be spelled out: a reference into this repository would not resolve elsewhere.
  // A name of the contract that this package exports too is referred to by that name.
  const exportedNames = new Set(exportsOfIndex.map((symbol) => symbol.name));
  const written = declarations
    .replace(/import\("[^"]+\/packages\/contract\/src\/[^"]+"\)\.(\w+)/g, (found, name) =>
      exportedNames.has(name) ? name : found,
    )
    .replace(/import\("[^"]+\/apps\/server\/src\/core\/errors"\)\.ErrorDetails/g, 'Record<string, unknown>')
    // A subscription's events (`tracked`) as the client receives them, `{ id, data }`: tRPC's
    // envelope type lives in a bundled chunk of its declarations (named `Tr` there), whose unique
    // symbol a consumer's compiler may not resolve to the same one.
    .replace(/import\("[^"]+\/@trpc\/server\/dist\/[^"]+"\)\.(?:Tr|TrackedEnvelope)</g, 'Tracked<')
    .replace(/\bTrackedEnvelope</g, 'Tracked<');
  const leak = /import\("[^"]+"\)\.\w+/.exec(written);
  if (leak)
    throw new Error(`the declarations still reference ${written.slice(leak.index, leak.index + 200)}`);
  writeFileSync(here('dist/index.d.ts'), written);
} finally {
  rmSync(probeFile, { force: true });
}
