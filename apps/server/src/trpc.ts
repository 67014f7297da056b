import { initTRPC } from '@trpc/server';
import type { z } from 'zod';
import type { Actor, Context } from './context';
import { AppError, describeError } from './errors';
import type { Attribution } from './services/history';

/** How a procedure is exposed over REST (the REST adapter and the OpenAPI document read this). */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/api/v1`, with `{id}` for the input's `id`. */
  path: string;
  status?: 200 | 201 | 204;
  tag: 'auth' | 'organization' | 'agents' | 'session-templates' | 'audit';
  summary: string;
  /** The response body's schema (documentation; the procedure's return type is checked against it). */
  output?: z.ZodType;
  /** When the operation answers 409 `CONFLICT` (documented in OpenAPI); unset: it never does. */
  conflict?: string;
}

export interface ProcedureMeta {
  /** Who may call: set by the ladder below, never by a procedure. */
  access?: 'public' | 'member' | 'admin';
  rest?: RestRoute;
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

async function authenticate(ctx: Context): Promise<Actor> {
  if (!ctx.bearer) throw new AppError('UNAUTHORIZED', 'Missing bearer token');
  const claims = await ctx.tokens.verify(ctx.bearer);
  if (!claims) throw new AppError('UNAUTHORIZED', 'Invalid or expired access token');
  const actor = await ctx.actors.get(claims.userId);
  if (!actor || actor.organizationId !== claims.organizationId) {
    throw new AppError('UNAUTHORIZED', 'Invalid or expired access token');
  }
  return actor;
}

export const authenticatedProcedure = t.procedure.meta({ access: 'member' }).use(async ({ ctx, next }) => {
  const actor = await authenticate(ctx);
  const by: Attribution = {
    organizationId: actor.organizationId,
    actor: { type: 'user', id: actor.userId, name: actor.name },
    requestId: ctx.requestId,
  };
  return next({ ctx: { actor, by } });
});

export const adminProcedure = authenticatedProcedure.meta({ access: 'admin' }).use(({ ctx, next }) => {
  if (ctx.actor.role !== 'admin') throw new AppError('FORBIDDEN', 'This action needs the admin role');
  return next();
});

/** Signup and login: public, and limited per client address. */
export const authAttemptProcedure = publicProcedure.use(async ({ ctx, next }) => {
  await ctx.authRateLimiter.consume(ctx.clientIp);
  return next();
});
