/**
 * Every use of tRPC's internals in one place: reading a router's procedures by name (the REST
 * adapter, the route table, the direct HTTP path) and the helpers tRPC's own HTTP adapters use,
 * which `trpcHttp.ts` calls to answer exactly as they do. A tRPC upgrade that moves any of them
 * breaks here, and `test/trpcWire.test.ts` (the direct path against tRPC's stock adapter) says how.
 */
import type { AnyTRPCProcedure, AnyTRPCRouter } from '@trpc/server';

export {
  getErrorShape,
  getHTTPStatusCode,
  getTRPCErrorFromUnknown,
  isObject,
  transformTRPCResponse,
} from '@trpc/server/unstable-core-do-not-import';

/** A router's procedures by their dotted name (`sessionTemplates.config`). */
export function proceduresOf(router: AnyTRPCRouter): Readonly<Record<string, AnyTRPCProcedure | undefined>> {
  return router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;
}
