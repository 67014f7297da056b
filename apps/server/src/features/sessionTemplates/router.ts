import {
  CreateSessionTemplateInput,
  IdInput,
  IdsInput,
  ListInput,
  SessionConfig,
  SessionConfigInput,
  SessionTemplate,
  SessionTemplateList,
  SessionTemplatePage,
  UpdateSessionTemplateInput,
} from '@switchboard/contract';
import { adminProcedure, authenticatedProcedure, router } from '../../http/trpc';
import { historyProcedures } from '../history/router';
import { currentConfigEtag, sessionConfig } from './sessionConfig';
import * as templates from './sessionTemplates';

const tag = 'session-templates';
const output = SessionTemplate;

export const sessionTemplatesRouter = router({
  create: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'POST',
        path: '/session-templates',
        status: 201,
        tag,
        summary: 'Create a session template',
        output,
      },
    })
    .input(CreateSessionTemplateInput)
    .mutation(({ ctx, input }) => templates.createSessionTemplate(ctx.db, ctx.by, input)),

  list: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: {
        method: 'GET',
        path: '/session-templates',
        tag,
        summary: 'Active session templates, newest first',
        output: SessionTemplatePage,
      },
    })
    .input(ListInput.prefault({}))
    .query(({ ctx, input }) => templates.listSessionTemplates(ctx.db, ctx.actor.organizationId, input)),

  getMany: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: {
        method: 'GET',
        path: '/session-templates/by-ids',
        tag,
        summary: 'Session templates by id, in the order asked, deleted ones included (to show names for ids)',
        output: SessionTemplateList,
      },
    })
    .input(IdsInput)
    .query(({ ctx, input }) => templates.getSessionTemplates(ctx.db, ctx.actor.organizationId, input.ids)),

  get: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: { method: 'GET', path: '/session-templates/{id}', tag, summary: 'One session template', output },
    })
    .input(IdInput)
    .query(({ ctx, input }) => templates.getSessionTemplate(ctx.db, ctx.actor.organizationId, input.id)),

  update: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'PUT',
        path: '/session-templates/{id}',
        tag,
        summary: 'Update a session template (partial)',
        output,
        conflict: '`version` is not the current one; nothing changed (`details.currentVersion`)',
      },
    })
    .input(UpdateSessionTemplateInput)
    .mutation(({ ctx, input }) => templates.updateSessionTemplate(ctx.db, ctx.by, input)),

  delete: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'DELETE',
        path: '/session-templates/{id}',
        status: 204,
        tag,
        summary: 'Delete a session template (soft)',
        conflict:
          'the template is deployed to an environment that does not follow latest (`details.environments`); undeploy it first',
      },
    })
    .input(IdInput)
    .mutation(({ ctx, input }) => templates.deleteSessionTemplate(ctx.db, ctx.by, input.id)),

  clone: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'POST',
        path: '/session-templates/{id}/clone',
        status: 201,
        tag,
        summary: 'Copy a session template as "<name> (Copy)"',
        output,
      },
    })
    .input(IdInput)
    .mutation(({ ctx, input }) => templates.cloneSessionTemplate(ctx.db, ctx.by, input.id)),

  ...historyProcedures(
    'sessionTemplate',
    { path: '/session-templates', tag, entity: SessionTemplate },
    templates.restoreSessionTemplate,
  ),

  config: authenticatedProcedure
    .meta({
      keys: 'read',
      boundKeys: true,
      rest: [
        {
          method: 'GET',
          path: '/session-templates/{id}/config',
          tag,
          summary:
            "What the session runtime reads at session start, from an environment's release (ETag; If-None-Match → 304)",
          output: SessionConfig,
          // Values of variables and overrides go in the POST's body, never in a query string.
          omit: ['overrides', 'variables'],
          etag: true,
          revalidate: currentConfigEtag,
        },
        {
          method: 'POST',
          path: '/session-templates/{id}/config',
          tag,
          summary: 'The session config with overrides that narrow the template',
          operationId: 'sessionTemplates_configWithOverrides',
          output: SessionConfig,
          etag: true,
        },
      ],
    })
    .input(SessionConfigInput)
    .query(({ ctx, input }) => sessionConfig(ctx.db, ctx.actor, input)),
});
