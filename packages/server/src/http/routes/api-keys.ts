import type { FastifyInstance } from 'fastify';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { requireSuperuser } from '../viewer.ts';

/** ForgeBase's API keys: superusers create, list and revoke them (a key cannot). */
export function apiKeyRoutes(app: FastifyInstance, { auth }: HttpDeps): void {
  app.post('/api/keys', async (req) => {
    await requireSuperuser(req, auth);
    return auth.apiKeys.create(await readBody(req));
  });

  app.get('/api/keys', async (req) => {
    await requireSuperuser(req, auth);
    return { items: await auth.apiKeys.list() };
  });

  app.delete<{ Params: { id: string } }>('/api/keys/:id', async (req, reply) => {
    await requireSuperuser(req, auth);
    await auth.apiKeys.revoke(req.params.id);
    return reply.status(204).send();
  });
}
