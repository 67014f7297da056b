import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody } from '../core/errors';

/**
 * Serves the dashboard at `/app`: its files as they are (hashed assets cached for a year), and
 * `index.html` for every other GET under `/app`, so deep links and reloads work; `GET /` goes to
 * `/app`. Every other path keeps the API's JSON 404. Without a build, `/app` says how to make one.
 */
export async function registerDashboard(app: FastifyInstance, dashboardDir: string) {
  app.get('/', (_req, reply) => reply.redirect('/app/'));
  const index = path.join(dashboardDir, 'index.html');
  if (!existsSync(index)) {
    const notBuilt = (_req: unknown, reply: FastifyReply) =>
      reply.code(404).send(
        errorBody({
          code: 'NOT_FOUND',
          message:
            'The dashboard is not built: run `pnpm --filter @switchboard/dashboard build` (pnpm start does)',
          details: {},
        }),
      );
    app.get('/app', notBuilt);
    app.get('/app/*', notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: dashboardDir,
    prefix: '/app/',
    wildcard: false,
    index: false,
    setHeaders(reply, filePath) {
      reply.header(
        'cache-control',
        filePath.includes(`${path.sep}assets${path.sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      );
    },
  });
  const page = (_req: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  app.get('/app', page);
  app.get('/app/*', page);
}
