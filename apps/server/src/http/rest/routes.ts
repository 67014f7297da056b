import { z } from 'zod';
import { appRouter } from '../../router';
import type { ProcedureMeta, RestRoute } from '../trpc';
import { proceduresOf } from '../trpcInternals';

/** One REST operation, read off a procedure of the router: its REST meta, access and input schema. */
export interface RestOperation extends RestRoute {
  procedure: string;
  access: NonNullable<ProcedureMeta['access']>;
  /** The least API key scope that may call; unset: no key may. */
  keys: ProcedureMeta['keys'];
  boundKeys: ProcedureMeta['boundKeys'];
  input: z.ZodType | undefined;
  /** Names of the `{param}`s in the path (each one a field of the input). */
  pathParams: string[];
}

export function restOperations(): RestOperation[] {
  return Object.entries(proceduresOf(appRouter)).flatMap(([procedure, definition]) => {
    const { _def } = definition!;
    const meta = _def.meta as ProcedureMeta | undefined;
    // A procedure may have several routes (session config: GET, and POST with overrides).
    const routes = meta?.rest === undefined ? [] : [meta.rest].flat();
    return routes.map((route) => ({
      ...route,
      procedure,
      access: meta?.access ?? 'public',
      keys: meta?.keys,
      boundKeys: meta?.boundKeys,
      input: inputSchema(_def.inputs[0]),
      pathParams: [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!),
    }));
  });
}

/**
 * The zod schema a procedure's input is checked against: the parser itself, or the `schema` of a
 * parser that also takes an input read elsewhere (`outcomes.report`'s, read by a worker thread).
 */
function inputSchema(parser: unknown): z.ZodType | undefined {
  if (parser === undefined || parser instanceof z.ZodType) return parser;
  return (parser as { schema: z.ZodType }).schema;
}

export type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

/**
 * A zod schema as JSON Schema (2020-12, what OpenAPI 3.1 uses), self-contained: named components
 * are written out in place (for serialisation and for reading field types). The OpenAPI document
 * references them by name instead (`openapi.ts`).
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    metadata: z.registry(),
  }) as JsonSchema;
  return rest;
}
