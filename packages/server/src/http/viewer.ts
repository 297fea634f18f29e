import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import { errors } from '../errors/codes.ts';
import type { RequestInfo } from '../query/request-info.ts';
import type { Viewer } from '../rules/viewer.ts';

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
      query: req.query && typeof req.query === 'object' ? { ...req.query } : {},
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
    throw errors.unauthorized('The request requires valid record authorization token.');
  throw errors.forbidden('The authorized record is not allowed to perform this action.');
}

/**
 * A route's `preValidation` hook for superuser-only routes: like PocketBase's middleware,
 * a 401/403 comes before anything about the request's input.
 */
export function superuserOnly(auth: AuthService): preValidationAsyncHookHandler {
  return async function superuserOnly(req) {
    await requireSuperuser(req, auth);
  };
}
