import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The methods a preflight allows (PocketBase's CORS defaults). */
const ALLOW_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

/**
 * Response headers a script on another origin may read besides the CORS-safelisted ones:
 * file downloads and ranges (storage, record files), S3 clients (ETag of uploaded parts)
 * and the request id for support. The tus routes add their own (Location, Upload-Offset…).
 */
const EXPOSE_HEADERS = 'Content-Disposition, Content-Range, Accept-Ranges, ETag, X-Request-Id';

// longer origins are not checked against patterns (a domain name is at most 253 characters)
const MAX_PATTERN_ORIGIN = 253 + 3 + 5;

/**
 * Which `Origin` values may call the API: `*` allows every origin; other entries match
 * exactly or with `*` (any run of characters) and `?` (one character) wildcards, so
 * `https://*.example.com` allows every subdomain. Returns the Access-Control-Allow-Origin
 * value for an origin, or undefined when it is not allowed.
 */
export function originMatcher(origins: readonly string[]): (origin: string) => string | undefined {
  if (origins.includes('*')) return () => '*';
  const exact = new Set(origins);
  const patterns = origins
    .filter((o) => /[*?]/.test(o))
    .map(
      (o) =>
        new RegExp(
          `^${o
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        ),
    );
  return (origin) => {
    if (exact.has(origin)) return origin;
    if (origin.length > MAX_PATTERN_ORIGIN || !origin.includes('://')) return undefined;
    return patterns.some((re) => re.test(origin)) ? origin : undefined;
  };
}

/** True when the matched route answers OPTIONS itself (tus capability discovery). */
function ownOptionsRoute(req: FastifyRequest): boolean {
  const { url, method } = req.routeOptions;
  return url !== undefined && [method].flat().includes('OPTIONS');
}

/**
 * CORS for every route, PocketBase's behaviour (its port of echo's CORS middleware):
 * every response varies on Origin and, for an allowed origin, carries
 * Access-Control-Allow-Origin (errors and 404s included, the hook runs first); an OPTIONS
 * request is a preflight answered 204 here with the allowed methods and the requested
 * headers echoed back (https://fetch.spec.whatwg.org/#http-cors-protocol). Runs before
 * every other onRequest hook, so no limit or check counts a preflight (PocketBase's order). A
 * route with its own OPTIONS handler (tus) still gets the OPTIONS calls that are not
 * preflights.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = originMatcher(origins);
  app.addHook('onRequest', async function cors(req: FastifyRequest, reply: FastifyReply) {
    reply.header('vary', 'Origin');
    const origin = req.headers.origin;
    const preflight =
      req.method === 'OPTIONS' && (!ownOptionsRoute(req) || 'access-control-request-method' in req.headers);
    const allowOrigin = origin ? allowed(origin) : undefined;
    if (allowOrigin) {
      reply.header('access-control-allow-origin', allowOrigin);
      if (!preflight) reply.header('access-control-expose-headers', EXPOSE_HEADERS);
    }
    if (!preflight) return;
    if (allowOrigin) {
      reply.header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      reply.header('access-control-allow-methods', ALLOW_METHODS);
      const requested = req.headers['access-control-request-headers'];
      if (requested) reply.header('access-control-allow-headers', requested);
    }
    return reply.code(204).send();
  });
}
