import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance } from 'fastify';
import { DbError } from '../db/database.ts';
import { ApiError } from '../errors/api-error.ts';
import { errors } from '../errors/codes.ts';

/** PocketBase's message style: capitalised first letter, ending punctuation. */
function sentence(message: string): string {
  const t = message.trim();
  if (!t) return t;
  const s = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/**
 * The one place errors become responses: ApiErrors keep their status and data, client
 * mistakes Fastify detects (bad JSON, too large, wrong content type) are 4xx in the same
 * shape, anything else is a logged 500 whose details never reach the client.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((thrown: FastifyError | ApiError, req, reply) => {
    // a read cut by the query timeout is the one database error a client is told about
    const err =
      thrown instanceof DbError && thrown.code === 'query_timeout' ? errors.queryTimeout(thrown) : thrown;
    let status = 500;
    let message = 'Something went wrong while processing your request.';
    let data: unknown = {};
    if (err instanceof ApiError) {
      status = err.status;
      message = err.message;
      data = err.data;
    } else if (
      typeof (err as FastifyError).statusCode === 'number' &&
      (err as FastifyError).statusCode! < 500
    ) {
      status = (err as FastifyError).statusCode!;
      message = clientMessage(err as FastifyError);
    }
    if (status >= 500) req.log.error({ err, reqId: req.id }, 'request failed');
    reply
      .status(status)
      .type('application/json')
      .send({ data, message: sentence(message), status });
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.status(404).send({ data: {}, message: "The requested resource wasn't found.", status: 404 });
  });
}

/**
 * Answers a request Node rejects before Fastify sees it (e.g. a URL over the 16 KiB header
 * limit, as a very long `filter` makes) in PocketBase's error shape, then closes the socket.
 */
export function clientErrorResponse(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request URL or headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive.']
        : [400, 'Something went wrong while processing your request.'];
  const body = JSON.stringify({ data: {}, message, status });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'Failed to read the submitted data.';
    default:
      return err.statusCode === 404
        ? "The requested resource wasn't found."
        : 'Something went wrong while processing your request.';
  }
}
