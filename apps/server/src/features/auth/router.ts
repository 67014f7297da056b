import { AuthResult, LoginInput, Session, SignupInput } from '@switchboard/contract';
import { authAttemptProcedure, authenticatedProcedure, callingUser, router } from '../../http/trpc';
import * as users from './users';

export const authRouter = router({
  signup: authAttemptProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/auth/signup',
        status: 201,
        tag: 'auth',
        summary: 'Create an organization and its first admin',
        output: AuthResult,
        conflict: 'The email is taken (emails compare case-insensitively)',
      },
    })
    .input(SignupInput)
    .mutation(({ ctx, input }) => users.signup(ctx.db, ctx.tokens, input, ctx.requestId)),

  login: authAttemptProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/auth/login',
        tag: 'auth',
        summary: 'Log in',
        output: AuthResult,
        // One answer for an unknown email and a wrong password alike.
        statuses: [401],
      },
    })
    .input(LoginInput)
    .mutation(({ ctx, input }) => users.login(ctx.db, ctx.tokens, input)),

  me: authenticatedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/auth/me',
        tag: 'auth',
        summary: 'The caller and their organization',
        output: Session,
      },
    })
    .query(({ ctx }) => users.getSession(ctx.db, callingUser(ctx.actor))),
});
