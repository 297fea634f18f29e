import { errors } from '../../errors/codes.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly } from '../viewer.ts';

const CronJob = Type.Object({
  id: Type.String(),
  expression: Type.String({ description: 'Cron expression (in config `cron_timezone`, default UTC).' }),
});

const tags = ['crons'];

/** PocketBase's crons API (superusers): list the registered jobs, run one now. */
export function cronRoutes(app: RouteApp, { crons, auth, logger }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.get(
    '/api/crons',
    {
      preValidation,
      schema: {
        summary: 'The registered cron jobs (superusers)',
        tags,
        querystring: NoQuery,
        response: { 200: Type.Array(CronJob) },
      },
    },
    async () => crons.list(),
  );
  app.post(
    '/api/crons/:id',
    {
      preValidation,
      schema: {
        summary: 'Run a cron job now, in the background (superusers)',
        tags,
        params: Type.Object({ id: Type.String() }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      // matches PocketBase: the job runs in the background, the answer does not wait for it
      if (!crons.list().some((j) => j.id === id)) throw errors.notFound('Missing or invalid cron job.');
      crons.run(id).catch((err: unknown) => logger.error({ err, cron: id }, 'cron job failed'));
      return reply.status(204).send();
    },
  );
}
