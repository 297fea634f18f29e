import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import type { Config } from '../config.ts';
import { ApiError } from '../errors/api-error.ts';
import type { LogService } from '../logs/log-service.ts';
import type { RequestFacts } from '../logs/request-entry.ts';
import { redactUrl } from '../tools/redact-url.ts';
import { viewerOf } from './viewer.ts';

/**
 * Routes whose successful requests are not stored (PocketBase's SkipSuccessActivityLog on
 * /api/logs); and the SQL round trips of tenant databases (Hrana), which would otherwise
 * add a log write to every statement: their counts and latency are in the database's stats.
 */
const SKIP_SUCCESS = /^\/api\/logs(\/|$)|^\/api\/databases\/:name\/v[23](\/|$)/;

/** The signed-in record of a request, resolved once (the same lookup the routes use). */
async function authOf(req: FastifyRequest, auth: AuthService): Promise<RequestFacts['auth']> {
  if (!req.headers.authorization) return undefined;
  try {
    const viewer = await viewerOf(req, auth);
    return viewer.auth
      ? { collection: viewer.auth.collection.name, id: String(viewer.auth.record.id) }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Logs each finished request, after its response: one JSON line on stdout when config
 * `logRequests` is on (as before), and an entry in the request logs (`GET /api/logs`)
 * unless `logsMaxDays` is 0. URLs are redacted in both (file tokens, signed-URL tokens,
 * presigned signatures never reach a log).
 */
export function registerRequestLog(
  app: FastifyInstance,
  deps: { config: Config; auth: AuthService; logs: LogService },
): void {
  const { config, auth, logs } = deps;
  const failures = new WeakMap<FastifyRequest, RequestFacts['error']>();
  // runs before the error handler turns the error into the response
  app.addHook('onError', (req, _reply, err, done) => {
    failures.set(
      req,
      err instanceof ApiError && Object.keys(err.data).length > 0
        ? { message: err.message, details: err.data }
        : { message: err.message },
    );
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    done();
    const url = redactUrl(req.url);
    if (config.logRequests) {
      req.log.info(
        { method: req.method, url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request',
      );
    }
    if (config.logsMaxDays <= 0) return;
    const status = reply.statusCode;
    if (status < 400 && SKIP_SUCCESS.test(req.routeOptions.url ?? '')) return;
    const execTime = reply.elapsedTime;
    const error = failures.get(req);
    void authOf(req, auth).then((who) =>
      logs.request({
        method: req.method,
        url,
        status,
        execTime,
        referer: String(req.headers.referer ?? ''),
        userAgent: String(req.headers['user-agent'] ?? ''),
        userIp: req.clientIp,
        remoteIp: req.raw.socket.remoteAddress ?? '',
        ...(who ? { auth: who } : {}),
        ...(error ? { error } : {}),
      }),
    );
  });
}
