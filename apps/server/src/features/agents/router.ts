import {
  Agent,
  AgentList,
  AgentPage,
  CreateAgentInput,
  IdInput,
  IdsInput,
  ListInput,
  UpdateAgentInput,
} from '@switchboard/contract';
import { adminProcedure, authenticatedProcedure, router } from '../../http/trpc';
import { historyProcedures } from '../history/router';
import * as agents from './agents';

const tag = 'agents';

export const agentsRouter = router({
  create: adminProcedure
    .meta({
      keys: 'write',
      rest: { method: 'POST', path: '/agents', status: 201, tag, summary: 'Create an agent', output: Agent },
    })
    .input(CreateAgentInput)
    .mutation(({ ctx, input }) => agents.createAgent(ctx.db, ctx.by, input, ctx.config.catalog)),

  list: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: {
        method: 'GET',
        path: '/agents',
        tag,
        summary: 'Active agents, newest first',
        output: AgentPage,
      },
    })
    .input(ListInput.prefault({}))
    .query(({ ctx, input }) => agents.listAgents(ctx.db, ctx.actor.organizationId, input)),

  getMany: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: {
        method: 'GET',
        path: '/agents/by-ids',
        tag,
        summary: 'Agents by id, in the order asked, deleted ones included (to show names for ids)',
        output: AgentList,
      },
    })
    .input(IdsInput)
    .query(({ ctx, input }) => agents.getAgents(ctx.db, ctx.actor.organizationId, input.ids)),

  get: authenticatedProcedure
    .meta({
      keys: 'read',
      rest: { method: 'GET', path: '/agents/{id}', tag, summary: 'One agent', output: Agent },
    })
    .input(IdInput)
    .query(({ ctx, input }) => agents.getAgent(ctx.db, ctx.actor.organizationId, input.id)),

  update: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'PUT',
        path: '/agents/{id}',
        tag,
        summary: 'Update an agent (partial)',
        output: Agent,
        conflict:
          'A stale `version` (`details.currentVersion`), or an active session template would break a rule (`details.templateIds`)',
      },
    })
    .input(UpdateAgentInput)
    .mutation(({ ctx, input }) => agents.updateAgent(ctx.db, ctx.by, input, ctx.config.catalog)),

  delete: adminProcedure
    .meta({
      keys: 'write',
      rest: {
        method: 'DELETE',
        path: '/agents/{id}',
        status: 204,
        tag,
        summary: 'Delete an agent (soft)',
        conflict:
          'An active session template lists the agent (`details.templateIds`), or another active agent hands off to it (`details.agentIds`)',
      },
    })
    .input(IdInput)
    .mutation(({ ctx, input }) => agents.deleteAgent(ctx.db, ctx.by, input.id)),

  ...historyProcedures('agent', { path: '/agents', tag, entity: Agent }, agents.restoreAgent),
});
