import { Catalog } from '@switchboard/contract';
import { authenticatedProcedure, router } from '../../http/trpc';

/** What agents may choose (docs/api.md "Catalog"): the operator's `CATALOG_FILE`, or the built-in default. */
export const catalogRouter = router({
  get: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: {
        method: 'GET',
        path: '/catalog',
        tag: 'agents',
        operationId: 'catalog_get',
        summary: 'The models and voices agents may choose, and whether others are allowed',
        output: Catalog,
      },
    })
    .query(({ ctx }) => ctx.config.catalog),
});
