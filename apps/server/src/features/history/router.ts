import {
  AgentRevision,
  AgentRevisionPage,
  AuditEventPage,
  AuditListInput,
  RestoreInput,
  RevisionInput,
  RevisionListInput,
  SessionTemplateRevision,
  SessionTemplateRevisionPage,
} from '@switchboard/contract';
import type { Db } from '@switchboard/db';
import type { z } from 'zod';
import { adminProcedure, authenticatedProcedure, type RestRoute, router } from '../../http/trpc';
import * as history from './history';
import { type Attribution, HISTORY, type HistoryKind } from './history';

const SCHEMAS = {
  agent: { revision: AgentRevision, page: AgentRevisionPage },
  sessionTemplate: { revision: SessionTemplateRevision, page: SessionTemplateRevisionPage },
} as const;

/**
 * `revisions`, `revision` and `restore` of one kind of entity (docs/api.md "Revisions"), under its REST
 * collection `path` (`/agents`, `/session-templates`).
 */
export function historyProcedures<K extends HistoryKind, Entity>(
  kind: K,
  rest: { path: string; tag: RestRoute['tag']; entity: z.ZodType<Entity> },
  restore: (db: Db, by: Attribution, input: z.output<typeof RestoreInput>) => Promise<Entity>,
) {
  const { label } = HISTORY[kind];
  const what = label.toLowerCase();
  const { path, tag } = rest;
  return {
    revisions: authenticatedProcedure
      .meta({
        keys: 'read',
        rest: {
          method: 'GET',
          path: `${path}/{id}/revisions`,
          tag,
          summary: `The ${what}'s revisions, newest first (also of a deleted one)`,
          output: SCHEMAS[kind].page,
        },
      })
      .input(RevisionListInput)
      .query(({ ctx, input }) => history.listRevisions(ctx.db, kind, ctx.actor.organizationId, input)),

    revision: authenticatedProcedure
      .meta({
        keys: 'read',
        rest: {
          method: 'GET',
          path: `${path}/{id}/revisions/{version}`,
          tag,
          summary: `One revision of the ${what}`,
          output: SCHEMAS[kind].revision,
        },
      })
      .input(RevisionInput)
      .query(({ ctx, input }) =>
        history.getRevision(ctx.db, kind, ctx.actor.organizationId, input.id, input.version),
      ),

    restore: adminProcedure
      .meta({
        keys: 'write',
        rest: {
          method: 'POST',
          path: `${path}/{id}/restore`,
          tag,
          summary: `Put back the configuration of an earlier revision as a new version (makes a deleted ${what} active again)`,
          output: rest.entity,
          conflict:
            kind === 'agent'
              ? 'A stale `version` (`details.currentVersion`), or an active session template would break a rule (`details.templateIds`)'
              : '`version` is not the current one; nothing changed (`details.currentVersion`)',
        },
      })
      .input(RestoreInput)
      .mutation(({ ctx, input }) => restore(ctx.db, ctx.by, input)),
  };
}

export const auditRouter = router({
  list: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/audit-events',
        tag: 'audit',
        summary: "The organization's audit log, newest first",
        output: AuditEventPage,
      },
    })
    .input(AuditListInput.prefault({}))
    .query(async ({ ctx, input }) => {
      // What has committed is numbered before it is listed (a sequence is null only while an older
      // transaction still runs).
      await ctx.events.catchUp();
      return history.listAuditEvents(ctx.db, ctx.actor.organizationId, input);
    }),
});
