import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { agentsRouter } from './routers/agents';
import { apiKeysRouter } from './routers/apiKeys';
import { authRouter } from './routers/auth';
import { catalogRouter } from './routers/catalog';
import { configRouter } from './routers/config';
import { deploymentsRouter, environmentsRouter } from './routers/environments';
import { eventsRouter } from './routers/events';
import { auditRouter } from './routers/history';
import { organizationRouter } from './routers/organization';
import { outcomesRouter } from './routers/outcomes';
import { sessionTemplatesRouter } from './routers/sessionTemplates';
import { webhooksRouter } from './routers/webhooks';
import { router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  organization: organizationRouter,
  agents: agentsRouter,
  sessionTemplates: sessionTemplatesRouter,
  environments: environmentsRouter,
  deployments: deploymentsRouter,
  audit: auditRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
  outcomes: outcomesRouter,
  events: eventsRouter,
  config: configRouter,
  catalog: catalogRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
