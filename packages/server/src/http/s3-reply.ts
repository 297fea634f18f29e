import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.ts';
import { S3Error, s3CodeOf } from '../s3/s3-error.ts';
import { el } from '../s3/xml.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ServedObject } from '../storage/storage-service.ts';
import { SigV4Error } from '../tools/sigv4.ts';
import { metadataHeaders } from './s3-request.ts';
import { parseRange } from './serve-blob.ts';

/** An XML document as the answer. */
export function sendXml(reply: FastifyReply, xml: string, status = 200): FastifyReply {
  return reply.status(status).type('application/xml').send(xml);
}

/**
 * S3's error document for any error of an /s3 request: S3Error and SigV4Error keep their
 * code, ForgeBase's own errors get the nearest S3 code, anything else is a logged 500.
 */
export function sendS3Error(err: Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let status = 500;
  let code = 'InternalError';
  let message = 'We encountered an internal error. Please try again.';
  if (err instanceof SigV4Error) [status, code, message] = [err.status, err.code, err.message];
  else if (err instanceof ApiError) [status, code, message] = [err.status, s3CodeOf(err), err.message];
  else {
    const fastifyStatus = (err as Error & { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus < 500)
      [status, code, message] = [fastifyStatus, 'InvalidRequest', err.message];
  }
  if (status >= 500) req.log.error({ err, reqId: req.id }, 's3 request failed');
  const resource = (req.raw.url ?? '/').split('?')[0]!;
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${el('Code', code)}${el('Message', message)}${el('Resource', resource)}${el('RequestId', req.id)}</Error>`;
  if (reply.sent) return reply;
  reply.removeHeader('content-length');
  return reply.status(status).header('x-amz-request-id', req.id).type('application/xml').send(body);
}

function etagListMatches(header: string, etag: string): boolean {
  return header.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag || `"${v}"` === etag;
  });
}

const RESPONSE_OVERRIDES = [
  ['response-content-type', 'content-type'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-language', 'content-language'],
  ['response-content-encoding', 'content-encoding'],
  ['response-cache-control', 'cache-control'],
  ['response-expires', 'expires'],
] as const;

/** The object's time as S3 writes it in XML (ISO 8601 with milliseconds). */
export function isoTime(stored: string): string {
  return new Date(stored.replace(' ', 'T')).toISOString();
}

/**
 * GetObject/HeadObject: ETag, Last-Modified, `x-amz-meta-*`, `response-*` overrides, If-Match/If-Unmodified-Since (412),
 * If-None-Match/If-Modified-Since (304), one byte range (206, or 416 InvalidRange).
 */
export async function sendS3Object(
  req: FastifyRequest,
  reply: FastifyReply,
  blobs: BlobStore,
  o: ServedObject,
  query: Record<string, string | undefined>,
): Promise<FastifyReply> {
  const etag = o.object.etag;
  const modified = new Date(o.object.updated.replace(' ', 'T'));
  const seconds = Math.floor(modified.getTime() / 1000);
  const h = req.headers;
  reply
    .header('etag', etag)
    .header('last-modified', modified.toUTCString())
    .header('accept-ranges', 'bytes')
    .header('content-type', o.object.mimeType)
    .headers(metadataHeaders(o.object.metadata))
    // as /api/storage: uploaded HTML or SVG must not run as this site
    .header(
      'content-security-policy',
      "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
    )
    .header('x-content-type-options', 'nosniff');
  // GetObject's response-* overrides (presigned URLs use them to name a download)
  for (const [param, header] of RESPONSE_OVERRIDES) {
    const value = query[param];
    if (typeof value === 'string' && /^[\x20-\x7e]*$/.test(value)) reply.header(header, value);
  }
  const since = (v: unknown) =>
    typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) / 1000 : undefined;
  const ius = since(h['if-unmodified-since']);
  if (
    (typeof h['if-match'] === 'string' && !etagListMatches(h['if-match'], etag)) ||
    (h['if-match'] === undefined && ius !== undefined && seconds > ius)
  )
    throw new S3Error(
      412,
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
    );
  const ims = since(h['if-modified-since']);
  if (
    (typeof h['if-none-match'] === 'string' && etagListMatches(h['if-none-match'], etag)) ||
    (h['if-none-match'] === undefined && ims !== undefined && seconds <= ims)
  )
    return reply.status(304).send();
  const range = parseRange(typeof h.range === 'string' ? h.range : undefined, o.info.size);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${o.info.size}`);
    throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable');
  }
  if (range)
    reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${o.info.size}`)
      .header('content-length', range.end - range.start + 1);
  else reply.status(200).header('content-length', o.info.size);
  if (req.method === 'HEAD' || o.info.size === 0) return reply.send();
  return reply.send(await blobs.read(o.key, range));
}
