import { AddMemberInput, MemberList, UpdateMemberInput, User } from '@switchboard/contract';
import { adminProcedure, router } from '../../http/trpc';
import * as users from '../auth/users';

export const organizationRouter = router({
  listMembers: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/organization/members',
        tag: 'organization',
        summary: "The organization's users",
        output: MemberList,
      },
    })
    .query(({ ctx }) => users.listMembers(ctx.db, ctx.actor.organizationId)),

  addMember: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/organization/members',
        status: 201,
        tag: 'organization',
        summary: 'Add a user to the organization',
        output: User,
        conflict: 'The email is taken (emails compare case-insensitively)',
      },
    })
    .input(AddMemberInput)
    .mutation(({ ctx, input }) => users.addMember(ctx.db, ctx.by, input)),

  updateMember: adminProcedure
    .meta({
      rest: {
        method: 'PUT',
        path: '/organization/members/{id}',
        tag: 'organization',
        summary: "Change a user's role or deactivate them",
        output: User,
        conflict: 'It would demote or deactivate the last active admin',
      },
    })
    .input(UpdateMemberInput)
    .mutation(async ({ ctx, input }) => {
      const user = await users.updateMember(ctx.db, ctx.by, input);
      ctx.actors.forget(user.id);
      return user;
    }),
});
