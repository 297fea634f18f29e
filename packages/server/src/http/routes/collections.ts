import { errors, fields } from '../../errors/codes.ts';
import { collectionToJSON, ensureSystemFields, scaffold } from '../../schema/collection.ts';
import { randomString } from '../../tools/id.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { listParams, QUERY } from '../query-params.ts';
import { CollectionParam, NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';

const CollectionBody = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    type: Type.Union([Type.Literal('base'), Type.Literal('auth'), Type.Literal('view')]),
    system: Type.Boolean(),
    fields: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    indexes: Type.Array(Type.String()),
    listRule: Type.Union([Type.String(), Type.Null()]),
    viewRule: Type.Union([Type.String(), Type.Null()]),
    createRule: Type.Union([Type.String(), Type.Null()]),
    updateRule: Type.Union([Type.String(), Type.Null()]),
    deleteRule: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true, description: "A collection, in PocketBase's JSON form." },
);

const CollectionListBody = Type.Object({
  page: Type.Integer(),
  perPage: Type.Integer(),
  totalItems: Type.Integer(),
  totalPages: Type.Integer(),
  items: Type.Array(CollectionBody),
});

const Params = Type.Object({ c: CollectionParam });

const CollectionListQuery = Type.Object({
  page: QUERY.page,
  perPage: QUERY.perPage,
  sort: QUERY.sort,
  filter: QUERY.filter,
  fields: QUERY.fields,
  skipTotal: QUERY.skipTotal,
});

/** What a create or update sends: the collection service checks every part. */
const CollectionInput = Type.Record(Type.String(), Type.Unknown(), {
  description: "A collection, in PocketBase's JSON form (see the answer's shape).",
});

const ImportBody = Type.Object({
  collections: Type.Optional(
    Type.Array(Type.Unknown(), { description: 'Collections, as the export gives them.' }),
  ),
  deleteMissing: Type.Optional(Type.Boolean({ description: 'Delete collections the list does not name.' })),
});

const tags = ['collections'];

/** The collections API (PocketBase's): superusers only. */
export function collectionRoutes(app: RouteApp, { collections, records, auth }: HttpDeps): void {
  /** A superuser-only route: 401/403 come before anything about the input. */
  const superuser = <S extends object>(summary: string, schema: S) => ({
    preValidation: superuserOnly(auth),
    schema: { summary: `${summary} (superusers)`, tags, querystring: NoQuery, ...schema },
  });

  app.get(
    '/api/collections',
    superuser('List collections', {
      querystring: CollectionListQuery,
      response: { 200: CollectionListBody },
    }),
    async (req) => {
      const result = await records.listCollections(listParams(req.query), await viewerOf(req, auth));
      return { ...result, items: result.items.map(collectionToJSON) };
    },
  );

  app.get(
    '/api/collections/meta/scaffolds',
    superuser('The default collection of each type', {
      response: { 200: Type.Object({ auth: CollectionBody, base: CollectionBody, view: CollectionBody }) },
    }),
    async () => {
      // like PocketBase: one random suffix names the default indexes, and the id stays empty
      const suffix = randomString(10);
      const make = (type: 'auth' | 'base' | 'view') => {
        const c = scaffold(type, '');
        c.id = suffix;
        ensureSystemFields(c);
        c.id = '';
        return collectionToJSON(c);
      };
      return { auth: make('auth'), base: make('base'), view: make('view') };
    },
  );

  app.get(
    '/api/collections/:c',
    superuser('View a collection', { params: Params, response: { 200: CollectionBody } }),
    async (req) => collectionToJSON(collections.get(req.params.c)),
  );

  app.post(
    '/api/collections',
    superuser('Create a collection', { body: CollectionInput, response: { 200: CollectionBody } }),
    async (req) => collectionToJSON(await collections.create(await readBody(req))),
  );

  app.patch(
    '/api/collections/:c',
    superuser('Update a collection', {
      params: Params,
      body: CollectionInput,
      response: { 200: CollectionBody },
    }),
    async (req) => {
      const existing = collections.get(req.params.c);
      return collectionToJSON(await collections.update(existing.id, await readBody(req)));
    },
  );

  app.delete(
    '/api/collections/:c',
    superuser('Delete a collection', { params: Params, response: { 204: NoContent } }),
    async (req, reply) => {
      await collections.delete(collections.get(req.params.c).id);
      return reply.status(204).send();
    },
  );

  app.delete(
    '/api/collections/:c/truncate',
    superuser('Delete every record of a collection', { params: Params, response: { 204: NoContent } }),
    async (req, reply) => {
      await records.truncate(collections.get(req.params.c).id);
      return reply.status(204).send();
    },
  );

  app.put(
    '/api/collections/import',
    superuser('Import collections', { body: ImportBody, response: { 204: NoContent } }),
    async (req, reply) => {
      const body = await readBody(req);
      const list = body.collections;
      if (!Array.isArray(list) || list.length === 0)
        throw errors.invalid('An error occurred while validating the submitted data.', {
          collections: fields.required(),
        });
      if (list.some((c) => !c || typeof c !== 'object' || Array.isArray(c)))
        throw errors.badRequest('An error occurred while loading the submitted data.');
      await collections.import(list as Record<string, unknown>[], body.deleteMissing === true);
      return reply.status(204).send();
    },
  );
}
