import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import { ForbiddenError, UnauthorizedError } from '../errors/api-error.ts';
import type { Viewer } from '../records/record-codec.ts';

const cache = new WeakMap<FastifyRequest, Promise<Viewer>>();

/** Who sent the request, resolved once per request from its Authorization header. */
export function viewerOf(req: FastifyRequest, auth: AuthService): Promise<Viewer> {
  let v = cache.get(req);
  if (!v) {
    v = auth.viewerFromToken(req.headers.authorization);
    cache.set(req, v);
  }
  return v;
}

/** Requires a superuser token (PocketBase's RequireSuperuserAuth: 401 without auth, 403 for others). */
export async function requireSuperuser(req: FastifyRequest, auth: AuthService): Promise<Viewer> {
  const viewer = await viewerOf(req, auth);
  if (viewer.superuser) return viewer;
  if (!viewer.authId) throw new UnauthorizedError('The request requires valid record authorization token.');
  throw new ForbiddenError('The authorized record is not allowed to perform this action.');
}
