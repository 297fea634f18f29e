import type { HttpDeps } from '../deps.ts';
import { listParams, QUERY } from '../query-params.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { pageOf } from '../schemas.ts';
import { Type } from '../type.ts';
import { superuserOnly } from '../viewer.ts';

const LogBody = Type.Object({
  id: Type.String(),
  created: Type.String({ description: 'When it was logged (UTC, `2006-01-02 15:04:05.000Z`).' }),
  data: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'For requests (`type: "request"`): method, url, status, execTime (ms), auth, authId, userIP, remoteIP, referer, userAgent, error, details.',
  }),
  message: Type.String({ description: 'For requests: `METHOD url`.' }),
  level: Type.Integer({ description: '-4 debug, 0 info, 4 warn, 8 error.' }),
});

const LogList = pageOf(LogBody);

const LogListQuery = Type.Object({
  page: QUERY.page,
  perPage: QUERY.perPage,
  sort: Type.Optional(
    Type.String({ description: 'id, created, level, message, `data.*` paths, `@rowid`, `@random`.' }),
  ),
  filter: Type.Optional(
    Type.String({ description: "PocketBase's filter over id, created, level, message and `data.*`." }),
  ),
  fields: QUERY.fields,
  skipTotal: QUERY.skipTotal,
});

const StatsBody = Type.Array(
  Type.Object({
    total: Type.Integer(),
    date: Type.String({ description: "The hour's start (UTC)." }),
  }),
);

const tags = ['logs'];

/** PocketBase's request logs API (superusers): list, stats per hour, one entry, truncate. */
export function logRoutes(app: RouteApp, { logs, auth }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.get(
    '/api/logs',
    {
      preValidation,
      schema: {
        summary: 'List log entries (superusers)',
        tags,
        querystring: LogListQuery,
        response: { 200: LogList },
      },
    },
    async (req) => logs.list(listParams(req.query)),
  );
  app.get(
    '/api/logs/stats',
    {
      preValidation,
      schema: {
        summary: 'Log entries per hour (superusers)',
        tags,
        querystring: Type.Object({ filter: LogListQuery.properties.filter, fields: QUERY.fields }),
        response: { 200: StatsBody },
      },
    },
    async (req) => logs.stats(listParams({ filter: req.query.filter }).filter),
  );
  app.get(
    '/api/logs/:id',
    {
      preValidation,
      schema: {
        summary: 'One log entry (superusers)',
        tags,
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ fields: QUERY.fields }),
        response: { 200: LogBody },
      },
    },
    async (req) => logs.view(req.params.id),
  );
  app.delete(
    '/api/logs',
    {
      preValidation,
      schema: {
        summary: 'Delete every log entry (superusers)',
        tags,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (_req, reply) => {
      await logs.truncate();
      return reply.status(204).send();
    },
  );
}
