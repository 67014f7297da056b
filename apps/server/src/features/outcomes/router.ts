import { OutcomesAccepted } from '@switchboard/contract';
import { adminProcedure, router } from '../../http/trpc';
import { deployer } from '../deployments/deployments';
import { reportInput } from './digest';

/** Session outcomes, reported by the runtime (docs/api.md "Session outcomes and guarded canaries"). */
export const outcomesRouter = router({
  report: adminProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'POST',
        path: '/session-outcomes',
        status: 202,
        tag: 'outcomes',
        summary:
          'Report how sessions ended (1 to 1,000); the whole batch is checked first, and a bad one counts nothing',
        output: OutcomesAccepted,
        readBody: (deps, text, hashOf) => deps.reportReader.read(text, hashOf),
      },
    })
    .input(reportInput)
    .mutation(({ ctx, input }) => ctx.outcomes.report(deployer(ctx), input)),
});
