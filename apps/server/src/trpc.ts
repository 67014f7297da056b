import { API_KEY_PREFIX, type ApiKeyScope } from '@switchboard/contract';
import type { Db } from '@switchboard/db';
import { initTRPC } from '@trpc/server';
import type { z } from 'zod';
import type { Actor, Context, KeyActor, UserActor } from './context';
import { AppError, describeError } from './errors';
import type { Attribution } from './services/history';

/** How a procedure is exposed over REST (the REST adapter and the OpenAPI document read this). */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/api/v1`, with `{id}` for the input's `id`. */
  path: string;
  status?: 200 | 201 | 204;
  tag: 'auth' | 'organization' | 'agents' | 'session-templates' | 'audit' | 'api-keys' | 'config';
  summary: string;
  /** The response body's schema (documentation; the procedure's return type is checked against it). */
  output?: z.ZodType;
  /** When the operation answers 409 `CONFLICT` (documented in OpenAPI); unset: it never does. */
  conflict?: string;
  /** The largest body this route takes, when it is not the server's 1 MiB. */
  bodyLimit?: number;
  /** The OpenAPI operation id, when the procedure has several routes (default: the procedure's name). */
  operationId?: string;
  /** Input fields this route does not take (a GET that leaves the body's fields to its POST twin). */
  omit?: string[];
  /**
   * The answer's `etag` field is sent as the `ETag` header, and a GET whose `If-None-Match` names it
   * is answered 304 with no body (after the same authorization and reads as a 200).
   */
  etag?: boolean;
  /**
   * The current tag, read cheaply, for a GET with `If-None-Match`: when it matches, the adapter
   * answers 304 after the same authentication and scope check as the procedure, without calling it.
   */
  revalidate?: (db: Db, organizationId: string, input: { id: string }) => Promise<string | null>;
}

export interface ProcedureMeta {
  /** Who may call: set by the ladder below, never by a procedure. */
  access?: 'public' | 'member' | 'admin';
  /**
   * The least API key scope that may call (`read` also admits `write` keys); unset: no API key may
   * (members, API keys, the audit log, `auth.me`), and a key gets 403.
   */
  keys?: ApiKeyScope;
  rest?: RestRoute | RestRoute[];
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const described = describeError(error);
      return {
        code: shape.code,
        message: described.message,
        data: {
          code: described.code,
          httpStatus: described.status,
          details: described.details,
          path: shape.data.path,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * The procedure ladder: the one place that decides who may call what.
 * public → authenticated (a valid token of an active user; `ctx.actor` set) → admin.
 */
export const publicProcedure = t.procedure.meta({ access: 'public' });

/** Who the bearer of the request is (a user or an API key); 401 when nobody valid. */
export async function authenticate(ctx: Context): Promise<Actor> {
  if (!ctx.bearer) throw new AppError('UNAUTHORIZED', 'Missing bearer token');
  if (ctx.bearer.startsWith(API_KEY_PREFIX)) {
    const key = await ctx.apiKeys.resolve(ctx.bearer);
    if (!key) throw new AppError('UNAUTHORIZED', 'Invalid, revoked or expired API key');
    return key;
  }
  const claims = await ctx.tokens.verify(ctx.bearer);
  if (!claims) throw new AppError('UNAUTHORIZED', 'Invalid or expired access token');
  const actor = await ctx.actors.get(claims.userId);
  if (!actor || actor.organizationId !== claims.organizationId) {
    throw new AppError('UNAUTHORIZED', 'Invalid or expired access token');
  }
  return actor;
}

/** A key may call a procedure whose `keys` scope it holds (`write` holds `read`). */
export function keyMayCall(key: KeyActor, needed: ApiKeyScope | undefined): boolean {
  return needed !== undefined && (key.scope === 'write' || needed === 'read');
}

export const authenticatedProcedure = t.procedure
  .meta({ access: 'member' })
  .use(async ({ ctx, meta, next }) => {
    const actor = await authenticate(ctx);
    if (actor.kind === 'apiKey' && !keyMayCall(actor, meta?.keys)) {
      throw new AppError(
        'FORBIDDEN',
        meta?.keys
          ? 'This action needs an API key with the write scope'
          : 'API keys cannot call this; sign in as a user',
      );
    }
    const by: Attribution = {
      organizationId: actor.organizationId,
      actor:
        actor.kind === 'user'
          ? { type: 'user', id: actor.userId, name: actor.name }
          : { type: 'apiKey', id: actor.keyId, name: actor.name },
      requestId: ctx.requestId,
    };
    return next({ ctx: { actor, by } });
  });

/** Writes: a user with the admin role, or a key the procedure admits (checked above). */
export const adminProcedure = authenticatedProcedure.meta({ access: 'admin' }).use(({ ctx, next }) => {
  if (ctx.actor.kind === 'user' && ctx.actor.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'This action needs the admin role');
  }
  return next();
});

/** The calling user, on a procedure no API key may call (the ladder has refused keys already). */
export function callingUser(actor: Actor): UserActor {
  if (actor.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot call this; sign in as a user');
  return actor;
}

/** Signup and login: public, and limited per client address. */
export const authAttemptProcedure = publicProcedure.use(async ({ ctx, next }) => {
  await ctx.authRateLimiter.consume(ctx.clientIp);
  return next();
});
