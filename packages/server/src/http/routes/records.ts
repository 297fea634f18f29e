import { errors } from '../../errors/codes.ts';
import { SUPERUSERS } from '../../schema/collection.ts';
import { readBody, withUploads } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { expandParam, ListQuery, listParams, QUERY, RecordQuery } from '../query-params.ts';
import { CollectionParam, NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { ListBody, RecordBody } from '../schemas.ts';
import { Type } from '../type.ts';
import { requestViewer, viewerOf } from '../viewer.ts';

const AggregateBody = Type.Object(
  {
    items: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
      description:
        'One row per group, ordered by the group values (at most 1000): the groupBy fields, then one key per aggregate — `count`, `count_<f>`, `sum_<f>`, `avg_<f>`, `min_<f>`, `max_<f>`.',
    }),
  },
  { description: "ForgeBase's aggregates over the records a list with the same filter would return." },
);

const CollectionParams = Type.Object({ c: CollectionParam });
const RecordParams = Type.Object({ c: CollectionParam, id: Type.String({ description: 'The record id.' }) });

const AggregateQuery = Type.Object({
  groupBy: Type.Optional(Type.String({ description: 'Comma-separated fields to group by (at most 5).' })),
  fields: Type.Optional(Type.String({ description: 'Comma-separated aggregates (default `count()`).' })),
  filter: QUERY.filter,
});

/** A record body: JSON, or multipart/form-data with `@jsonPayload` (read by the handler). */
const RecordInput = Type.Record(Type.String(), Type.Unknown());

const tags = ['records'];

/** The records API (PocketBase's): list, view, create, update, delete. */
export function recordRoutes(app: RouteApp, { collections, records, auth, files }: HttpDeps): void {
  const collectionOf = (name: string) => {
    const c = collections.find(name);
    if (!c) throw errors.notFound('Missing collection context.');
    return c;
  };

  app.get(
    '/api/collections/:c/records',
    {
      schema: {
        summary: 'List records',
        description: 'Only records that pass the listRule come back (never a 403 for a non-null rule).',
        tags,
        params: CollectionParams,
        querystring: ListQuery,
        response: { 200: ListBody },
      },
    },
    async (req) => {
      const c = collectionOf(req.params.c);
      return records.list(c.id, listParams(req.query), await requestViewer(req, auth));
    },
  );

  app.get(
    '/api/collections/:c/aggregate',
    {
      schema: {
        summary: 'Aggregate records',
        description:
          'Grouped `count()`, `count(f)`, `sum(f)`, `avg(f)`, `min(f)`, `max(f)` over the records a list with the same filter would return; the listRule applies exactly as for a list.',
        tags,
        forgebase: true,
        params: CollectionParams,
        querystring: AggregateQuery,
        response: { 200: AggregateBody },
      },
    },
    async (req) => {
      const c = collectionOf(req.params.c);
      const { groupBy, fields, filter } = req.query;
      return records.aggregate(
        c.id,
        { groupBy, fields, filter: listParams({ filter }).filter },
        await requestViewer(req, auth),
      );
    },
  );

  app.get(
    '/api/collections/:c/records/:id',
    {
      schema: {
        summary: 'View a record',
        tags,
        params: RecordParams,
        querystring: RecordQuery,
        response: { 200: RecordBody },
      },
    },
    async (req) => {
      const c = collectionOf(req.params.c);
      return records.view(c.id, req.params.id, await requestViewer(req, auth), {
        expand: expandParam(req.query),
      });
    },
  );

  app.post(
    '/api/collections/:c/records',
    {
      schema: {
        summary: 'Create a record',
        description: 'JSON or multipart/form-data (with `@jsonPayload`); `field+`/`field-` modifiers.',
        tags,
        params: CollectionParams,
        querystring: RecordQuery,
        body: RecordInput,
        response: { 200: RecordBody },
      },
    },
    async (req) => {
      const c = collectionOf(req.params.c);
      // the one-time install token may create the first superuser, and nothing else
      const token = String(req.headers.authorization ?? '').replace(/^bearer\s+/i, '');
      const install =
        c.name === SUPERUSERS && !(await viewerOf(req, auth)).superuser && auth.isInstallToken(token);
      // a null createRule refuses before a byte of the upload is read or stored
      if (!install) records.refuseClosedRule(c.id, 'create', await viewerOf(req, auth));
      const uploads = files.recordReceiver(c);
      return withUploads(uploads, async () => {
        const body = await readBody(req, uploads);
        if (install) return auth.createFirstSuperuser(body);
        const viewer = await requestViewer(req, auth, body);
        const created = await records.create(c.id, body, viewer);
        await records.expand(c.id, [created], expandParam(req.query), viewer);
        return created;
      });
    },
  );

  app.patch(
    '/api/collections/:c/records/:id',
    {
      schema: {
        summary: 'Update a record',
        tags,
        params: RecordParams,
        querystring: RecordQuery,
        body: RecordInput,
        response: { 200: RecordBody },
      },
    },
    async (req) => {
      const c = collectionOf(req.params.c);
      records.refuseClosedRule(c.id, 'update', await viewerOf(req, auth));
      const uploads = files.recordReceiver(c, req.params.id);
      return withUploads(uploads, async () => {
        const body = await readBody(req, uploads);
        const viewer = await requestViewer(req, auth, body);
        const updated = await records.update(c.id, req.params.id, body, viewer);
        await records.expand(c.id, [updated], expandParam(req.query), viewer);
        return updated;
      });
    },
  );

  app.delete(
    '/api/collections/:c/records/:id',
    {
      schema: {
        summary: 'Delete a record',
        tags,
        params: RecordParams,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const c = collectionOf(req.params.c);
      await records.delete(c.id, req.params.id, await requestViewer(req, auth));
      return reply.status(204).send();
    },
  );
}
