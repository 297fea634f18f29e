import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Smaller JSON bodies go out as they are: compressing them saves less than it costs. */
export const COMPRESS_MIN_BYTES = 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * The encoding to use for an Accept-Encoding header: `br` or `gzip` (brotli wins a tie),
 * or undefined when the client accepts neither (RFC 9110 §12.5.3: `q=0` refuses one, `*`
 * stands for every encoding not named).
 */
export function pickEncoding(header: string | undefined): 'br' | 'gzip' | undefined {
  if (!header) return undefined;
  const q: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    if (name) q[name] = Number.isFinite(value) ? value : 0;
  }
  const weight = (enc: string) => q[enc] ?? q['*'] ?? 0;
  const br = weight('br');
  const gz = weight('gzip');
  if (br <= 0 && gz <= 0) return undefined;
  return br >= gz ? 'br' : 'gzip';
}

/** True for an answer that may be compressed: a serialized JSON body, not a file or a range. */
function compressible(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): payload is string | Buffer {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return false; // streams: files, SSE
  if (req.method === 'HEAD' || reply.statusCode === 204 || reply.statusCode === 206) return false;
  if (reply.hasHeader('content-encoding') || reply.hasHeader('content-disposition')) return false;
  // the S3 API: its clients check lengths and checksums of what they asked for
  if (req.url === '/s3' || req.url.startsWith('/s3/') || req.url.startsWith('/s3?')) return false;
  return JSON_TYPE.test(String(reply.getHeader('content-type') ?? ''));
}

/**
 * Compresses JSON answers of at least COMPRESS_MIN_BYTES with brotli or gzip, as the
 * request's Accept-Encoding allows, and adds `Vary: Accept-Encoding` to every JSON answer
 * so caches keep the variants apart. Files, ranges, streams (SSE, downloads) and the S3 API
 * are sent as they are. Brotli runs at quality 4: close to gzip's speed, smaller output.
 */
export function registerCompression(app: FastifyInstance): void {
  app.addHook('onSend', async function compress(req, reply, payload) {
    if (!compressible(req, reply, payload)) return payload;
    const vary = reply.getHeader('vary');
    reply.header('vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
    const size = Buffer.byteLength(payload);
    const encoding = size >= COMPRESS_MIN_BYTES ? pickEncoding(req.headers['accept-encoding']) : undefined;
    if (!encoding) return payload;
    const body =
      encoding === 'br'
        ? await brotli(payload, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 4,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
              [constants.BROTLI_PARAM_SIZE_HINT]: size,
            },
          })
        : await gzipAsync(payload, { level: 6 });
    reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    return body;
  });
}
