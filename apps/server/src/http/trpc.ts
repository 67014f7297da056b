import { API_KEY_PREFIX, type ApiKeyScope } from '@switchboard/contract';
import type { Db } from '@switchboard/db';
import { initTRPC } from '@trpc/server';
import type { z } from 'zod';
import type { Actor, UserActor } from '../core/actor';
import { AppError, describeError } from '../core/errors';
import type { Attribution } from '../features/history/history';
import type { Context, Deps } from './context';

/** How a procedure is exposed over REST (the REST adapter and the OpenAPI document read this). */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/api/v1`, with `{id}` for the input's `id`. */
  path: string;
  status?: 200 | 201 | 202 | 204;
  tag:
    | 'auth'
    | 'organization'
    | 'agents'
    | 'session-templates'
    | 'environments'
    | 'audit'
    | 'api-keys'
    | 'webhooks'
    | 'config'
    | 'deployments'
    | 'outcomes'
    | 'events';
  summary: string;
  /** The response body's schema (documentation; the procedure's return type is checked against it). */
  output?: z.ZodType;
  /** When the operation answers 409 `CONFLICT` (documented in OpenAPI); unset: it never does. */
  conflict?: string;
  /** Error statuses it answers beyond those its access and method imply (documented in OpenAPI). */
  statuses?: number[];
  /** The largest body this route (and the procedure over tRPC) takes, when it is not the server's 1 MiB. */
  bodyLimit?: number;
  /**
   * The answer carries a one-time secret in `secret` (and what it belongs to in `apiKey`): an
   * idempotency key keeps the answer without it, and a repeat is 409 `secretShown`.
   */
  answersSecret?: true;
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
  revalidate?: (db: Db, actor: Actor, input: { id: string }) => Promise<string | null>;
  /**
   * Reads the JSON body off the event loop (a report of outcomes): the body reaches it as text, and
   * what it answers is the procedure's input and, when `hashOf` names the operation, the request's
   * idempotency hash. Null leaves the body to the event loop, read as every other body.
   */
  readBody?: (
    deps: Deps,
    text: string,
    hashOf: string | null,
  ) => Promise<{ input: unknown; hash: string | null } | null>;
}

export interface ProcedureMeta {
  /** Who may call: set by the ladder below, never by a procedure. */
  access?: 'public' | 'member' | 'admin';
  /**
   * The least API key scope that may call (`read` also admits `write` keys); unset: no API key may
   * (members, API keys, the audit log, `auth.me`), and a key gets 403.
   */
  keys?: ApiKeyScope;
  /**
   * A key bound to an environment may call this (the procedure keeps it to that environment:
   * session config, that environment's deployments, history and served releases, the catalog, the
   * change events). Unset: such a key reads only what its environment serves, so it gets 403.
   */
  boundKeys?: true;
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

/** Who may call a procedure: its rung of the ladder and the least key scope it admits. */
export type AccessRule = Pick<ProcedureMeta, 'access' | 'keys' | 'boundKeys'>;

/**
 * The one access decision, for an authenticated caller: why `actor` may not call a procedure of
 * `rule` (403), or null when it may. The ladder below applies it to every call, and every shortcut
 * that answers for a procedure without calling it (an idempotent replay, a 304) asks it first.
 * A key may call what its scope holds (`write` holds `read`); a user needs `admin` for admin rungs.
 */
export function accessRefusal(rule: AccessRule, actor: Actor): AppError | null {
  if (actor.kind === 'apiKey') {
    if (rule.keys === undefined)
      return new AppError('FORBIDDEN', 'API keys cannot call this; sign in as a user');
    if (rule.keys === 'write' && actor.scope !== 'write') {
      return new AppError('FORBIDDEN', 'This action needs an API key with the write scope');
    }
    if (actor.environmentId !== null && !rule.boundKeys) {
      return new AppError(
        'FORBIDDEN',
        'This API key is bound to an environment: it reads only what that environment serves',
      );
    }
    return null;
  }
  if (rule.access === 'admin' && actor.role !== 'admin') {
    return new AppError('FORBIDDEN', 'This action needs the admin role');
  }
  return null;
}

/** Whether `actor` may call a procedure of `rule` (`accessRefusal` is the reason when not). */
export function mayCall(rule: AccessRule, actor: Actor): boolean {
  return accessRefusal(rule, actor) === null;
}

/**
 * Every rung above public: authenticates (401), then applies the access decision for the
 * procedure's own meta (403), so a member and an under-scoped key never reach an admin procedure.
 */
export const authenticatedProcedure = t.procedure
  .meta({ access: 'member' })
  .use(async ({ ctx, meta, next }) => {
    const actor = await authenticate(ctx);
    const refusal = accessRefusal(meta ?? {}, actor);
    if (refusal) throw refusal;
    const by: Attribution = {
      organizationId: actor.organizationId,
      actor:
        actor.kind === 'user'
          ? { type: 'user', id: actor.userId, name: actor.name }
          : { type: 'apiKey', id: actor.keyId, name: actor.name },
      requestId: ctx.requestId,
    };
    // The actor joins the request's own context (made for this request alone; every call of a
    // batch has the same caller), where `next({ ctx })` would have tRPC copy the whole context on
    // every call. The cast only tells the procedures below what the context now holds.
    Object.assign(ctx, { actor, by });
    return next({ ctx: undefined as unknown as { actor: Actor; by: Attribution } });
  });

/** Writes: a user with the admin role, or a key the procedure admits (both decided above). */
export const adminProcedure = authenticatedProcedure.meta({ access: 'admin' });

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
