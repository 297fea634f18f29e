import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type Logger, lazyChildLogger } from '../observability/logger.ts';
import { parseFields, pickFields } from '../records/pick-fields.ts';
import { registerBodyParsers } from './body.ts';
import { registerClientIp } from './client-ip.ts';
import { registerCompression } from './compression.ts';
import { registerCors } from './cors.ts';
import type { HttpDeps } from './deps.ts';
import { clientErrorResponse, registerErrorHandling } from './error-handler.ts';
import { registerOperatorAccess } from './operator-access.ts';
import { fieldsParam } from './query-params.ts';
import { registerRateLimits } from './rate-limit.ts';
import { registerRequestLog } from './request-log.ts';
import { registerRequestMetrics } from './request-metrics.ts';
import { registerRequestTracing } from './request-tracing.ts';
import { collectRoutes } from './route-catalog.ts';
import type { TypeBoxProvider } from './route-schema.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { backupRoutes } from './routes/backups.ts';
import { batchRoutes } from './routes/batch.ts';
import { collectionRoutes } from './routes/collections.ts';
import { cronRoutes } from './routes/crons.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { databaseRoutes } from './routes/databases.ts';
import { databaseHranaRoutes } from './routes/databases-hrana.ts';
import { docsRoutes } from './routes/docs.ts';
import { fileRoutes } from './routes/files.ts';
import { functionRoutes } from './routes/functions.ts';
import { healthRoutes } from './routes/health.ts';
import { logRoutes } from './routes/logs.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { oauth2RedirectRoutes } from './routes/oauth2-redirect.ts';
import { publicRoutes } from './routes/public.ts';
import { realtimeRoutes } from './routes/realtime.ts';
import { realtimeWsRoutes } from './routes/realtime-ws.ts';
import { recordRoutes } from './routes/records.ts';
import { s3Routes } from './routes/s3.ts';
import { s3KeyRoutes } from './routes/s3-keys.ts';
import { settingsRoutes } from './routes/settings.ts';
import { signInMethodRoutes } from './routes/sign-in-methods.ts';
import { storageRoutes } from './routes/storage.ts';
import { storageTusRoutes } from './routes/storage-tus.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { registerTimeouts, serverTimeoutOptions } from './timeouts.ts';
import { registerUnreadBodyDrain } from './unread-body.ts';
import { registerValidation } from './validation.ts';

const AGGREGATE_ROUTE = '/api/collections/:c/aggregate';
const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

const routeLists = new WeakMap<FastifyInstance, string[]>();

/** Every route a server registered, as `METHOD /path` (HEAD left out), for the API description's test. */
export function registeredRoutes(app: FastifyInstance): string[] {
  return [...(routeLists.get(app) ?? [])].sort();
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Marks the server as stopping: every response from now on closes its connection. */
    beginClosing(): void;
  }
}

/** Builds the Fastify server: hooks, error mapping, then every route group in one list. */
export async function createHttpServer(deps: HttpDeps, logger: Logger): Promise<FastifyInstance> {
  // request ids: a random per-server prefix and a counter (unique, and no crypto per request)
  const idPrefix = randomBytes(4).toString('hex');
  let requestCount = 0;
  const app = Fastify({
    loggerInstance: logger,
    // request lines are written by our own onResponse hook (one line, when enabled)
    logController: new LogController({ disableRequestLogging: true }),
    // `req.log` is made when a request logs something, not for every request
    childLoggerFactory: (parent, bindings, options) => lazyChildLogger(parent as Logger, bindings, options),
    bodyLimit: deps.config.bodyLimit,
    // --https: this server speaks TLS with the configured pair (app.start adds the redirect)
    ...(deps.config.https && deps.config.httpsCert && deps.config.httpsKey
      ? {
          https: {
            cert: readFileSync(deps.config.httpsCert),
            key: readFileSync(deps.config.httpsKey),
            minVersion: 'TLSv1.2' as const,
          },
        }
      : {}),
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...serverTimeoutOptions(deps.config),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    clientErrorHandler: clientErrorResponse,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      if (typeof incoming === 'string' && REQUEST_ID_RE.test(incoming)) return incoming;
      requestCount = (requestCount + 1) % Number.MAX_SAFE_INTEGER;
      return `${idPrefix}${requestCount.toString(16).padStart(8, '0')}`;
    },
  }) as unknown as FastifyInstance;
  const routes: string[] = [];
  routeLists.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  collectRoutes(app);
  registerRequestMetrics(app, deps.metrics);
  // first: a preflight is answered before any other hook counts or logs it
  registerCors(app, deps.config.origins);
  registerValidation(app);
  registerClientIp(app, deps.config);
  registerRateLimits(app, deps);
  registerOperatorAccess(app, deps);
  registerErrorHandling(app);
  await registerBodyParsers(app, deps.config.bodyLimit);
  registerTimeouts(app, deps.config);
  registerUnreadBodyDrain(app, deps.config.bodyLimit);
  registerCompression(app);

  registerRequestTracing(app, deps.tracing);
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  // graceful stop: a request still in flight when close() starts gets its response, then
  // its keep-alive connection is closed (otherwise close() waits for the 72 s idle timeout)
  let closing = false;
  // app.stop() calls it first, before the background services stop (which can take a
  // while on PostgreSQL): a response sent meanwhile already says `connection: close`
  app.decorate('beginClosing', () => {
    closing = true;
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  // a streamed response (a file) may finish after close() began, its headers already sent:
  // close its connection once idle, or close() waits for the keep-alive timeout
  app.addHook('onResponse', (_req, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
  registerRequestLog(app, deps);
  // PocketBase's `fields` projection applies to every successful JSON response
  app.addHook('preSerialization', (req, reply, payload, done) => {
    // the aggregate endpoint uses `fields` for its own purpose
    if (
      reply.statusCode >= 300 ||
      !payload ||
      typeof payload !== 'object' ||
      req.routeOptions.url === AGGREGATE_ROUTE
    ) {
      return done(null, payload);
    }
    try {
      const tree = parseFields(fieldsParam(req.query));
      if (!tree) return done(null, payload);
      const p = payload as Record<string, unknown>;
      done(
        null,
        Array.isArray(p.items) && 'page' in p
          ? { ...p, items: pickFields(p.items, tree) }
          : pickFields(payload, tree),
      );
    } catch (e) {
      done(e as Error);
    }
  });

  const groups = [
    healthRoutes,
    docsRoutes,
    collectionRoutes,
    recordRoutes,
    authRoutes,
    signInMethodRoutes,
    apiKeyRoutes,
    batchRoutes,
    fileRoutes,
    realtimeRoutes,
    oauth2RedirectRoutes,
    realtimeWsRoutes,
    storageRoutes,
    settingsRoutes,
    logRoutes,
    auditRoutes,
    s3KeyRoutes,
    s3Routes,
    storageTusRoutes,
    backupRoutes,
    cronRoutes,
    metricsRoutes,
    databaseRoutes,
    databaseHranaRoutes,
    webhookRoutes,
    // after every built-in route: a user route that clashes with one is refused
    functionRoutes,
    dashboardRoutes,
    // last: `/*` takes only the GETs no other route takes
    publicRoutes,
  ];
  const api = app.withTypeProvider<TypeBoxProvider>();
  for (const routes of groups) routes(api, deps);
  return app;
}
