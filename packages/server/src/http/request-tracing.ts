import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestSpan, Tracing } from '../observability/tracing-types.ts';

/**
 * A span per request when tracing is on (config `otel_endpoint`): named by method and
 * route template, continuing the caller's W3C `traceparent`, with the request id. The
 * handler runs inside it, so database statements and `tracing.span()` calls become its
 * children. Registers nothing when tracing is off.
 */
export function registerRequestTracing(app: FastifyInstance, tracing: Tracing): void {
  if (!tracing.enabled) return;
  const spans = new WeakMap<FastifyRequest, RequestSpan>();
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    const span = tracing.startRequest(`${req.method} ${route ?? 'unmatched'}`, req.headers, {
      'http.request.method': req.method,
      ...(route ? { 'http.route': route } : {}),
      'url.path': req.url.split('?', 1)[0]!,
      'forgebase.request_id': req.id,
    });
    spans.set(req, span);
    span.run(done);
  });
  // the body was read in between, on the socket's callbacks: enter the span again
  app.addHook('preValidation', (req, _reply, done) => {
    const span = spans.get(req);
    if (span) span.run(done);
    else done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    spans.get(req)?.end(reply.statusCode);
    done();
  });
}
