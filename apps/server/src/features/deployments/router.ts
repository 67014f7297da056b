import {
  DeployInput,
  Deployment,
  DeploymentChangeOrPlan,
  DeploymentInput,
  DeploymentListInput,
  DeploymentMetrics,
  DeploymentMetricsInput,
  DeploymentPage,
  PromoteInput,
  PromotionPlan,
  RampCanaryInput,
  ReleaseHistoryInput,
  ReleaseRecordPage,
  RollbackInput,
  Served,
  ServedInput,
} from '@switchboard/contract';
import { adminProcedure, authenticatedProcedure, router } from '../../http/trpc';
import { omit, path } from '../environments/router';
import { deploymentMetrics } from '../outcomes/metrics';
import * as deployments from './deployments';
import { deployer } from './deployments';
import { promote } from './promotion';
import * as deploymentReads from './reads';

const deploymentPath = `${path}/deployments/{templateId}`;

/** What each environment serves: deploy, canary, promote, undeploy (admins and write keys). */
export const deploymentsRouter = router({
  list: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'GET',
        path: `${path}/deployments`,
        tag: 'deployments',
        summary: "An environment's deployments, the most recently changed first",
        omit,
        output: DeploymentPage,
      },
    })
    .input(DeploymentListInput)
    .query(({ ctx, input }) => deploymentReads.listDeployments(ctx.db, deployer(ctx), input)),

  history: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'GET',
        path: `${deploymentPath}/history`,
        tag: 'deployments',
        summary: "An environment's release records of a template (what it served, from when), newest first",
        omit,
        output: ReleaseRecordPage,
      },
    })
    .input(ReleaseHistoryInput)
    .query(({ ctx, input }) => deploymentReads.releaseHistory(ctx.db, deployer(ctx), input)),

  served: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'GET',
        path: `${path}/served`,
        tag: 'deployments',
        summary: 'What an environment served at an instant (default now), template by template',
        omit,
        output: Served,
      },
    })
    .input(ServedInput)
    .query(({ ctx, input }) => deploymentReads.served(ctx.db, deployer(ctx), input)),

  metrics: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'GET',
        path: `${deploymentPath}/metrics`,
        tag: 'deployments',
        summary:
          'Session outcomes of each arm the environment serves (since it began to serve its release), and per minute',
        omit,
        output: DeploymentMetrics,
      },
    })
    .input(DeploymentMetricsInput)
    .query(({ ctx, input }) => deploymentMetrics(ctx.db, deployer(ctx), input)),

  deploy: adminProcedure
    .meta({
      keys: 'write',
      boundKeys: true,
      rest: {
        method: 'PUT',
        path: deploymentPath,
        tag: 'deployments',
        summary:
          'Deploy a release of a template (default: the session as it stands now), as the stable or as a canary',
        omit,
        output: DeploymentChangeOrPlan,
        conflict:
          'the environment follows latest, a canary has no stable to go beside, a canary of another release runs (`details.reason: "canaryRunning"`), or `version` is not the current one (`details.currentVersion`)',
      },
    })
    .input(DeployInput)
    .mutation(({ ctx, input }) => deployments.deploy(ctx.db, deployer(ctx), input)),

  rollback: adminProcedure
    .meta({
      keys: 'write',
      boundKeys: true,
      rest: {
        method: 'POST',
        path: `${deploymentPath}/rollback`,
        tag: 'deployments',
        summary:
          'Serve again what this environment served before (default: the newest earlier stable that differs), or the stable of record `toRecord`',
        omit,
        output: DeploymentChangeOrPlan,
        conflict:
          'no earlier record serves another release (`details.reason: "nothingToRollBack"`), the environment follows latest, or `version` is stale',
      },
    })
    .input(RollbackInput)
    .mutation(({ ctx, input }) => deployments.rollback(ctx.db, deployer(ctx), input)),

  rampCanary: adminProcedure
    .meta({
      keys: 'write',
      boundKeys: true,
      rest: {
        method: 'PUT',
        path: `${deploymentPath}/canary`,
        tag: 'deployments',
        summary: "Change a running canary's share of sessions; its release stays",
        omit,
        output: DeploymentChangeOrPlan,
        conflict: 'there is no canary, the environment follows latest, or `version` is stale',
      },
    })
    .input(RampCanaryInput)
    .mutation(({ ctx, input }) => deployments.rampCanary(ctx.db, deployer(ctx), input)),

  promoteCanary: adminProcedure
    .meta({
      keys: 'write',
      boundKeys: true,
      rest: {
        method: 'POST',
        path: `${deploymentPath}/promote-canary`,
        tag: 'deployments',
        summary: 'The canary becomes the stable',
        omit,
        output: Deployment,
        conflict: 'there is no canary',
      },
    })
    .input(DeploymentInput)
    .mutation(({ ctx, input }) => deployments.endCanary(ctx.db, deployer(ctx), input, 'promote')),

  abortCanary: adminProcedure
    .meta({
      keys: 'write',
      boundKeys: true,
      rest: {
        method: 'DELETE',
        path: `${deploymentPath}/canary`,
        tag: 'deployments',
        summary: 'End the canary; the stable serves every session',
        omit,
        output: Deployment,
        conflict: 'there is no canary',
      },
    })
    .input(DeploymentInput)
    .mutation(({ ctx, input }) => deployments.endCanary(ctx.db, deployer(ctx), input, 'abort')),

  undeploy: adminProcedure
    .meta({
      keys: 'write',
      boundKeys: true,
      rest: {
        method: 'DELETE',
        path: deploymentPath,
        status: 204,
        tag: 'deployments',
        summary: "Remove a template's deployment from an environment",
        omit,
        conflict: 'the environment follows latest',
      },
    })
    .input(DeploymentInput)
    .mutation(({ ctx, input }) => deployments.undeploy(ctx.db, deployer(ctx), input)),

  promote: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'POST',
        path: `${path}/promote`,
        tag: 'deployments',
        omit,
        summary:
          "Copy another environment's stable releases here, all or nothing (a plan first, with dryRun)",
        output: PromotionPlan,
        conflict:
          '`from` does not serve a listed template (`details.templateIds`), or the target follows latest',
      },
    })
    .input(PromoteInput)
    .mutation(({ ctx, input }) => promote(ctx.db, deployer(ctx), input)),
});
