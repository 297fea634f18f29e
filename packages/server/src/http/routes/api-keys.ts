import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly } from '../viewer.ts';

const Scope = Type.Union([
  Type.Object({
    collection: Type.String({ description: 'Collection name or id, or `*` (never `_superusers`).' }),
    operations: Type.Array(Type.String(), { description: 'list, view, create, update, delete, or `*`.' }),
  }),
  Type.Object(
    { databases: Type.Literal(true) },
    { description: 'The tenant databases: manage them and open any of them (docs/databases.md).' },
  ),
]);

const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Scope),
  expires: Type.String({ description: 'Empty when the key does not expire.' }),
  lastUsed: Type.String(),
  created: Type.String(),
});

const tags = ['keys'];

/** ForgeBase's API keys: superusers create, list and revoke them (a key cannot). */
export function apiKeyRoutes(app: RouteApp, { auth }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.post(
    '/api/keys',
    {
      preValidation,
      schema: {
        summary: 'Create an API key; its `secret` (fbk_…) is returned only here',
        description:
          'Send the secret as `Authorization: Bearer fbk_…` (or without `Bearer`). The key acts as a superuser on the records of the collections and operations its scopes name, and is refused (403) everywhere else.',
        tags,
        forgebase: true,
        querystring: NoQuery,
        // the API key service checks the values (names, scopes, the expiry date)
        body: Type.Object({
          name: Type.Optional(Type.String()),
          scopes: Type.Optional(
            Type.Array(Type.Unknown(), {
              description: 'Scopes: `{collection, operations}` or `{databases: true}`.',
            }),
          ),
          expires: Type.Optional(Type.String({ description: 'A future date; omit for no expiry.' })),
        }),
        response: { 200: Type.Intersect([ApiKey, Type.Object({ secret: Type.String() })]) },
      },
    },
    async (req) => auth.apiKeys.create(await readBody(req)),
  );

  app.get(
    '/api/keys',
    {
      preValidation,
      schema: {
        summary: 'List API keys (never their secrets)',
        tags,
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Type.Object({ items: Type.Array(ApiKey) }) },
      },
    },
    async () => ({ items: await auth.apiKeys.list() }),
  );

  app.delete(
    '/api/keys/:id',
    {
      preValidation,
      schema: {
        summary: 'Revoke an API key',
        tags,
        forgebase: true,
        params: Type.Object({ id: Type.String() }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await auth.apiKeys.revoke(req.params.id);
      return reply.status(204).send();
    },
  );
}
