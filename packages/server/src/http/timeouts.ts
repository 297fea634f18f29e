import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { clientErrorResponse } from './error-handler.ts';

/** Bodies Fastify buffers before the handler runs: small, so they must arrive in one go. */
const BUFFERED_BODY = /^application\/(json|x-www-form-urlencoded)\b/i;

/**
 * Node's server options for the timeouts of the config: headers must arrive within
 * `headersTimeoutSeconds` (a 408, checked often enough to matter); Node's own
 * request timeout is off, `registerTimeouts` applies one per kind of body.
 */
export function serverTimeoutOptions(config: Config) {
  const headersMs = config.headersTimeoutSeconds * 1000;
  return {
    http: {
      headersTimeout: headersMs,
      requestTimeout: 0,
      connectionsCheckingInterval: Math.min(Math.max(Math.floor(headersMs / 4), 250), 30_000),
    },
    // socket inactivity (no byte either way): a stalled body or client, uploads included;
    // realtime connections send keep-alives well within it
    connectionTimeout: config.idleTimeoutSeconds * 1000,
  };
}

/**
 * A request whose body Fastify buffers (JSON, forms) must arrive within
 * `requestTimeoutSeconds`, or it gets a 408 and its connection closes. Streamed bodies
 * (multipart uploads, object and tus uploads) may take as long as they keep moving: only
 * the idle timeout of `serverTimeoutOptions` applies to them.
 */
export function registerTimeouts(app: FastifyInstance, config: Config): void {
  const ms = config.requestTimeoutSeconds * 1000;
  app.addHook('onRequest', (req, _reply, done) => {
    const raw = req.raw;
    if (raw.complete || !BUFFERED_BODY.test(String(req.headers['content-type'] ?? ''))) return done();
    const timer = setTimeout(() => {
      if (raw.complete) return;
      const err = Object.assign(new Error('the request body took too long'), {
        code: 'ERR_HTTP_REQUEST_TIMEOUT',
      });
      clientErrorResponse(err, raw.socket);
    }, ms);
    raw.once('end', () => clearTimeout(timer));
    raw.once('close', () => clearTimeout(timer));
    done();
  });
}
