import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import type { Metrics } from '../observability/metrics.ts';

/**
 * Counts every answered request in `GET /metrics`, by route template, method and status.
 * Each route gets its own `onResponse` hook, bound at registration to that route's series
 * (no per-request lookup of the route or label objects: issue 20's request path); requests
 * no route took count under `unmatched`. Register before the routes.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRoute', (route) => {
    const record = metrics.route(route.url);
    const hook: onResponseHookHandler = function recordRequest(req, reply, done) {
      record(req.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    const existing = route.onResponse;
    route.onResponse = existing ? [...[existing].flat(), hook] : [hook];
  });
  const unmatched = metrics.route('unmatched');
  app.addHook('onResponse', function recordUnmatched(req, reply, done) {
    // is404 is true only on the not-found handler: routed requests counted themselves
    if (req.is404) unmatched(req.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
