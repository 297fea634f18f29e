import { extname } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServedFile } from '../files/file-service.ts';
import type { BlobStore, ByteRange } from '../storage/blob-store.ts';

// served inline; everything else is an attachment (PocketBase's inlineServeContentTypes)
const INLINE_TYPES = new Set([
  'image/png',
  'image/jpg',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/x-icon',
  'image/bmp',
  'video/webm',
  'video/mp4',
  'video/3gpp',
  'video/quicktime',
  'video/x-ms-wmv',
  'audio/basic',
  'audio/aiff',
  'audio/mpeg',
  'audio/midi',
  'audio/mp3',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-mpeg',
  'audio/x-m4a',
  'audio/aac',
  'application/pdf',
  'application/x-pdf',
]);

// types browsers need by extension (PocketBase's manualExtensionContentTypes)
const EXTENSION_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/** One `bytes=` range of a blob of `size` bytes: a range, 'unsatisfiable', or undefined to send it all. */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // several ranges or another unit: the whole file (allowed by RFC 9110 §14.2)
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * True when a GET or HEAD may be answered 304: If-None-Match names the ETag, or (without
 * it) If-Modified-Since is not older than the last change (RFC 9110 §13.1.3).
 */
export function notModified(req: FastifyRequest, etag: string, modified: Date): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  if (typeof inm === 'string') return etagMatches(inm, etag);
  return (
    typeof ims === 'string' &&
    !Number.isNaN(Date.parse(ims)) &&
    Math.floor(modified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000)
  );
}

/**
 * Sends a stored file like PocketBase's filesystem.Serve (Go's http.ServeContent):
 * inline for media and PDF, else attachment (always with `download`); a sandboxing CSP
 * and nosniff so an uploaded HTML or SVG cannot run as the site; ETag/Last-Modified with
 * 304; single byte ranges with 206/416; a long Cache-Control.
 */
export async function serveBlob(
  req: FastifyRequest,
  reply: FastifyReply,
  blobs: BlobStore,
  file: ServedFile,
  download: boolean,
): Promise<FastifyReply> {
  const { info } = file;
  const disposition = !download && INLINE_TYPES.has(info.contentType) ? 'inline' : 'attachment';
  reply
    .header('content-disposition', `${disposition}; filename=${file.name}`)
    .header('content-type', EXTENSION_TYPES[extname(file.key).toLowerCase()] ?? info.contentType)
    .header(
      'content-security-policy',
      "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
    )
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'max-age=2592000, stale-while-revalidate=86400');
  return sendValidated(req, reply, info, (range) => blobs.read(file.key, range));
}

/**
 * The common tail of a file answer, its type already set: a 304 for a matching
 * validator, else the whole body or one byte range (206, 416), read through `open`
 * (If-Range with a stale ETag means the whole file). HEAD gets the headers only.
 */
export async function sendValidated(
  req: FastifyRequest,
  reply: FastifyReply,
  info: { etag: string; modified: Date; size: number },
  open: (range?: ByteRange) => Promise<Readable> | Readable,
): Promise<FastifyReply> {
  reply
    .header('accept-ranges', 'bytes')
    .header('etag', info.etag)
    .header('last-modified', info.modified.toUTCString());
  if (notModified(req, info.etag, info.modified)) return reply.status(304).send();
  const ifRange = req.headers['if-range'];
  const rangeHeader = typeof ifRange === 'string' && ifRange !== info.etag ? undefined : req.headers.range;
  const range = parseRange(rangeHeader, info.size);
  if (range === 'unsatisfiable') {
    return reply.status(416).header('content-range', `bytes */${info.size}`).send();
  }
  if (range) {
    reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
      .header('content-length', range.end - range.start + 1);
  } else reply.header('content-length', info.size);
  // an empty stream, not nothing: Fastify's automatic HEAD answer keeps the Content-Length
  if (req.method === 'HEAD' || info.size === 0) return reply.send(Readable.from([]));
  return reply.send(await open(range));
}
