import type { FastifyInstance } from 'fastify';
import { NotFoundError, UnauthorizedError } from '../../errors/api-error.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { viewerOf } from '../viewer.ts';

/** Password sign-in and token refresh for auth collections (PocketBase's paths). */
export function authRoutes(app: FastifyInstance, { auth, collections, records }: HttpDeps): void {
  app.post<{ Params: { c: string } }>('/api/collections/:c/auth-with-password', async (req) => {
    return auth.authWithPassword(req.params.c, await readBody(req));
  });

  app.post<{ Params: { c: string } }>('/api/collections/:c/auth-refresh', async (req) => {
    const c = collections.find(req.params.c);
    if (c?.type !== 'auth') throw new NotFoundError('Missing or invalid auth collection context.');
    const viewer = await viewerOf(req, auth);
    if (!viewer.authId || viewer.authCollectionId !== c.id) {
      throw new UnauthorizedError('The request requires valid record authorization token.');
    }
    const record = await records.findById(c, viewer.authId);
    if (!record) throw new UnauthorizedError('The request requires valid record authorization token.');
    return auth.authResponse(c, record);
  });
}
