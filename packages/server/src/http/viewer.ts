import type { FastifyRequest } from 'fastify';
import type { KeyOperation } from '../auth/api-keys.ts';
import type { AuthService } from '../auth/auth-service.ts';
import { ForbiddenError, UnauthorizedError } from '../errors/api-error.ts';
import type { RequestInfo } from '../query/request-info.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';

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

/**
 * The viewer of a records request, with what `@request.*` means for it: method, query,
 * headers (lowercased, `-` as `_`), body and the signed-in record.
 */
export async function requestViewer(
  req: FastifyRequest,
  auth: AuthService,
  body: Record<string, unknown> = {},
): Promise<Viewer> {
  const viewer = await viewerOf(req, auth);
  let request: RequestInfo | undefined;
  // built on first use: most requests meet only empty rules and never need it
  const build = (): RequestInfo => {
    const headers: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase().replaceAll('-', '_')] = v;
    return {
      method: req.method,
      query: { ...(req.query as Record<string, unknown>) },
      headers,
      body,
      context: 'default',
      ...(viewer.auth ? { auth: viewer.auth } : {}),
    };
  };
  return {
    ...viewer,
    get request() {
      request ??= build();
      return request;
    },
  };
}

/** Requires a superuser token (PocketBase's RequireSuperuserAuth: 401 without auth, 403 for others). */
export async function requireSuperuser(req: FastifyRequest, auth: AuthService): Promise<Viewer> {
  const viewer = await viewerOf(req, auth);
  if (viewer.superuser) return viewer;
  if (!viewer.authId && !viewer.apiKey)
    throw new UnauthorizedError('The request requires valid record authorization token.');
  throw new ForbiddenError('The authorized record is not allowed to perform this action.');
}

/**
 * ForgeBase's API keys on the records API: a key whose scope covers the collection and
 * operation acts as a superuser there (and only there, see Viewer.keyScope); any other
 * use of a key is 403. Viewers without a key pass through unchanged.
 */
export function keyScoped(viewer: Viewer, c: Collection, op: KeyOperation): Viewer {
  if (!viewer.apiKey) return viewer;
  if (!viewer.apiKey.allows(c, op))
    throw new ForbiddenError('The API key is not allowed to perform this action.');
  return { ...viewer, superuser: true, keyScope: c.id };
}
