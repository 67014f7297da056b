import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { agentsRouter } from './features/agents/router';
import { apiKeysRouter } from './features/apiKeys/router';
import { authRouter } from './features/auth/router';
import { configRouter } from './features/bundles/router';
import { catalogRouter } from './features/catalog/router';
import { deploymentsRouter } from './features/deployments/router';
import { environmentsRouter } from './features/environments/router';
import { eventsRouter } from './features/events/router';
import { auditRouter } from './features/history/router';
import { organizationRouter } from './features/organization/router';
import { outcomesRouter } from './features/outcomes/router';
import { sessionTemplatesRouter } from './features/sessionTemplates/router';
import { webhooksRouter } from './features/webhooks/router';
import { router } from './http/trpc';

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
