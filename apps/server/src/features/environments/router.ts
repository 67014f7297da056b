import {
  CreateEnvironmentInput,
  Environment,
  EnvironmentInput,
  EnvironmentList,
  EnvironmentOrPlan,
  environmentOf,
  UpdateEnvironmentInput,
} from '@switchboard/contract';
import { adminProcedure, authenticatedProcedure, router } from '../../http/trpc';
import { deployer } from '../deployments/deployments';
import * as environments from './environments';

const tag = 'environments';
/** An environment's REST path, which the deployments' paths extend. */
export const path = '/environments/{environment}';
/** Over REST the path names the environment; `name`, its other spelling over tRPC, is not taken. */
export const omit = ['name'];

/** Environments: managed by admins (users, not keys), read by every member and key. */
export const environmentsRouter = router({
  list: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'GET',
        path: '/environments',
        tag,
        summary: "The organization's environments, production first",
        output: EnvironmentList,
      },
    })
    .query(({ ctx }) =>
      environments.listEnvironments(ctx.db, ctx.actor.organizationId, deployer(ctx).boundTo),
    ),

  create: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/environments',
        status: 201,
        tag,
        summary: 'Create an environment (at most 10)',
        output: Environment,
        conflict: 'the name is taken, or the organization has 10 environments',
      },
    })
    .input(CreateEnvironmentInput)
    .mutation(({ ctx, input }) => environments.createEnvironment(ctx.db, ctx.by, input)),

  update: adminProcedure
    .meta({
      rest: {
        method: 'PUT',
        path,
        tag,
        summary:
          'Rename an environment or switch followsLatest (on: its deployments are dropped; off: the current session of every template is deployed); with dryRun, the PromotionPlan of the switch',
        output: EnvironmentOrPlan,
        conflict: 'production cannot be renamed, or the name is taken',
      },
    })
    .input(UpdateEnvironmentInput)
    .mutation(({ ctx, input }) => environments.updateEnvironment(ctx.db, ctx.by, input)),

  delete: adminProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path,
        status: 204,
        tag,
        summary: 'Delete an environment and its deployments',
        omit,
        conflict: 'production cannot be deleted, or API keys are bound to it (`details.apiKeyIds`)',
      },
    })
    .input(EnvironmentInput)
    .mutation(({ ctx, input }) => environments.deleteEnvironment(ctx.db, ctx.by, environmentOf(input))),
});
