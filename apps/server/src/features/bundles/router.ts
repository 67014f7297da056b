import { Bundle, ImportInput, ImportPlan } from '@switchboard/contract';
import { adminProcedure, authenticatedProcedure, router } from '../../http/trpc';
import * as bundles from './bundles';

const tag = 'config';

/** Configuration as code: the organization's agents and templates as a bundle, and back. */
export const configRouter = router({
  export: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: {
        method: 'GET',
        path: '/config/export',
        tag,
        summary: 'The active agents and templates as a bundle: names instead of ids, sorted, deterministic',
        output: Bundle,
      },
    })
    .query(({ ctx }) => bundles.exportBundle(ctx.db, ctx.actor.organizationId)),

  import: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'POST',
        path: '/config/import',
        tag,
        summary: 'Import a bundle: plan (dryRun) or apply, all or nothing',
        output: ImportPlan,
        conflict:
          'The organization has two active agents or templates of one name (`details.agentNames`, `details.sessionTemplateNames`)',
        bodyLimit: 8 * 1024 * 1024,
      },
    })
    .input(ImportInput)
    .mutation(({ ctx, input }) => bundles.importBundle(ctx.db, ctx.by, input, ctx.config.catalog)),
});
