import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';

const S3Key = Type.Object({
  id: Type.String(),
  name: Type.String(),
  accessKeyId: Type.String({ description: 'The AWS access key id to configure in S3 clients.' }),
  buckets: Type.Array(Type.String(), { description: 'Bucket names the key may use; empty for all.' }),
  readOnly: Type.Boolean({ description: 'Only reads (Get/Head/List) are allowed.' }),
  created: Type.String(),
  updated: Type.String(),
});

const tags = ['storage'];

/**
 * Access keys for the S3-compatible API (superusers): create answers the secret once;
 * list never shows it; delete takes the key's id or access key id. 401 without auth, 403 for others.
 */
export function s3KeyRoutes(app: RouteApp, { s3, auth, audit }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.get(
    '/api/storage/s3-keys',
    {
      preValidation,
      schema: {
        summary: 'List S3 access keys (superusers; never with secrets)',
        tags,
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Type.Array(S3Key) },
      },
    },
    async (req) => s3.keys.list(await viewerOf(req, auth)),
  );
  app.post(
    '/api/storage/s3-keys',
    {
      preValidation,
      schema: {
        summary: 'Create an S3 access key (superusers)',
        description:
          'The answer carries `secretAccessKey`, shown this once. ForgeBase stores the secret (SigV4 needs it to check signatures): treat the database as holding credentials.',
        tags,
        forgebase: true,
        querystring: NoQuery,
        body: Type.Object({
          name: Type.Optional(Type.String()),
          buckets: Type.Optional(Type.Array(Type.String())),
          readOnly: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Type.Intersect([S3Key, Type.Object({ secretAccessKey: Type.String() })]) },
      },
    },
    async (req) => {
      const body = await readBody(req);
      const viewer = await viewerOf(req, auth);
      return audit.recorded(
        () => s3.keys.create(body, viewer),
        (key) => ({
          action: 's3Key.create',
          target: String(key.id),
          data: {
            accessKeyId: key.accessKeyId,
            name: key.name,
            buckets: key.buckets,
            readOnly: key.readOnly,
          },
        }),
      );
    },
  );
  app.delete(
    '/api/storage/s3-keys/:id',
    {
      preValidation,
      schema: {
        summary: 'Delete an S3 access key (superusers)',
        tags,
        forgebase: true,
        params: Type.Object({ id: Type.String({ description: 'The key id or its access key id.' }) }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const viewer = await viewerOf(req, auth);
      await audit.recorded(
        () => s3.keys.remove(req.params.id, viewer),
        () => ({ action: 's3Key.delete', target: req.params.id }),
      );
      return reply.status(204).send();
    },
  );
}
