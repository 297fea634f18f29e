import type { FastifyInstance } from 'fastify';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { requireSuperuser } from '../viewer.ts';

/**
 * Access keys for the S3-compatible API (superusers): create answers the secret once;
 * list never shows it; delete takes the key's id or access key id. 401 without auth, 403 for others.
 */
export function s3KeyRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { s3, auth } = deps;
  app.get('/api/storage/s3-keys', async (req) => s3.keys.list(await requireSuperuser(req, auth)));
  app.post('/api/storage/s3-keys', async (req) =>
    s3.keys.create(await readBody(req), await requireSuperuser(req, auth)),
  );
  app.delete<{ Params: { id: string } }>('/api/storage/s3-keys/:id', async (req, reply) => {
    await s3.keys.remove(req.params.id, await requireSuperuser(req, auth));
    return reply.status(204).send();
  });
}
