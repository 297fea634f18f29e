import type { HttpDeps } from '../deps.ts';
import { listParams, QUERY } from '../query-params.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { pageOf } from '../schemas.ts';
import { Type } from '../type.ts';
import { superuserOnly } from '../viewer.ts';

const JobBody = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The job: `module/export` for a job of fb_functions.' }),
  args: Type.Unknown(),
  state: Type.String({
    description:
      'queued, running, completed, failed (waiting to retry at `runAt`) or dead (out of attempts).',
  }),
  priority: Type.Integer(),
  attempts: Type.Integer({ description: 'Attempts started so far.' }),
  maxAttempts: Type.Integer(),
  key: Type.String({ description: 'The dedup key, or empty.' }),
  runAt: Type.String({ description: 'When it is (or was) due (UTC, `2006-01-02 15:04:05.000Z`).' }),
  lastError: Type.String(),
  result: Type.Unknown({ description: 'What the handler returned (JSON), or null.' }),
  created: Type.String(),
  updated: Type.String(),
  finished: Type.String({ description: 'When it completed or died, or empty.' }),
});

const JobListQuery = Type.Object({
  page: QUERY.page,
  perPage: QUERY.perPage,
  state: Type.Optional(Type.String({ description: 'Only jobs in this state.' })),
  name: Type.Optional(Type.String({ description: 'Only jobs of this name.' })),
});

const IdParams = Type.Object({ id: Type.String() });

const tags = ['jobs'];

/** ForgeBase's job queue API (superusers): list, one job, retry, delete. */
export function jobRoutes(app: RouteApp, { jobs, auth }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.get(
    '/api/jobs',
    {
      preValidation,
      schema: {
        summary: 'List jobs, newest first (superusers)',
        tags,
        forgebase: true,
        querystring: JobListQuery,
        response: { 200: pageOf(JobBody) },
      },
    },
    async (req) => {
      const { page, perPage } = listParams({ page: req.query.page, perPage: req.query.perPage });
      return jobs.list({
        state: req.query.state,
        name: req.query.name,
        ...(page !== undefined ? { page } : {}),
        ...(perPage !== undefined ? { perPage } : {}),
      });
    },
  );
  app.get(
    '/api/jobs/:id',
    {
      preValidation,
      schema: {
        summary: 'One job (superusers)',
        tags,
        forgebase: true,
        params: IdParams,
        querystring: NoQuery,
        response: { 200: JobBody },
      },
    },
    async (req) => jobs.get(req.params.id),
  );
  app.post(
    '/api/jobs/:id/retry',
    {
      preValidation,
      schema: {
        summary: 'Queue a failed, dead or completed job again now, with fresh attempts (superusers)',
        tags,
        forgebase: true,
        params: IdParams,
        querystring: NoQuery,
        response: { 200: JobBody },
      },
    },
    async (req) => jobs.retry(req.params.id),
  );
  app.delete(
    '/api/jobs/:id',
    {
      preValidation,
      schema: {
        summary: 'Delete a job (superusers)',
        tags,
        forgebase: true,
        params: IdParams,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await jobs.remove(req.params.id);
      return reply.status(204).send();
    },
  );
}
