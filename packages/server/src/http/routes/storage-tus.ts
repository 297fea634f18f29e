import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.ts';
import {
  parseChecksum,
  parseSizeHeader,
  parseUploadMetadata,
  TUS_CHECKSUMS,
  TUS_EXTENSIONS,
  TUS_VERSION,
} from '../../storage/tus-protocol.ts';
import type { TusUpload } from '../../storage/tus-store.ts';
import type { HttpDeps } from '../deps.ts';
import { requestViewer } from '../viewer.ts';

/** Where resumable uploads live (the same path as Supabase's). */
export const TUS_PATH = '/api/storage/upload/resumable';
const OCTETS = 'application/offset+octet-stream';
const EXPOSED = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
].join(', ');

type IdParams = { uploadId: string };
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const isOctets = (req: FastifyRequest) => header(req, 'content-type')?.split(';')[0]?.trim() === OCTETS;

function progressHeaders(reply: FastifyReply, u: TusUpload): void {
  reply.header('Upload-Offset', String(u.offset));
  if (!u.done) reply.header('Upload-Expires', new Date(u.expires).toUTCString());
}

/**
 * Resumable uploads (tus 1.0 with creation, creation-with-upload, termination, checksum
 * and expiration) into storage buckets. Bodies are streamed: this context parses none.
 */
export function storageTusRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.register(async (ctx) => tusContext(ctx, deps));
}

function tusContext(app: FastifyInstance, deps: HttpDeps): void {
  const { tus, auth } = deps;
  const viewer = (req: FastifyRequest) => requestViewer(req, auth);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS' || header(req, 'tus-resumable') === TUS_VERSION) return;
    reply.header('Tus-Version', TUS_VERSION);
    throw new ApiError(412, `Send Tus-Resumable: ${TUS_VERSION}.`);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('Tus-Resumable', TUS_VERSION);
    // a refused PATCH leaves its body unread: discard the rest, so the client (which reads
    // the answer once it has sent everything) gets it and the connection stays usable
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || 'transfer-encoding' in req.headers;
    if (hasBody && !req.raw.readableEnded) req.raw.resume();
    reply.header('Access-Control-Expose-Headers', EXPOSED);
    return payload;
  });

  const options = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(204)
      .headers({
        'Tus-Version': TUS_VERSION,
        'Tus-Extension': TUS_EXTENSIONS,
        'Tus-Max-Size': String(tus.maxSize),
        'Tus-Checksum-Algorithm': TUS_CHECKSUMS.join(','),
      })
      .send();
  app.options(TUS_PATH, options);
  app.options(`${TUS_PATH}/:uploadId`, options);

  app.post(TUS_PATH, async (req, reply) => {
    if (header(req, 'upload-defer-length') !== undefined)
      throw new ApiError(400, 'Upload-Defer-Length is not supported: send Upload-Length.');
    const length = parseSizeHeader('Upload-Length', header(req, 'upload-length'));
    const withData = isOctets(req);
    const result = await tus.create({
      length,
      metadata: parseUploadMetadata(header(req, 'upload-metadata')),
      upsert: /^(1|t|true)$/i.test(header(req, 'x-upsert') ?? ''),
      viewer: await viewer(req),
      body: withData ? req.raw : undefined,
      checksum: withData ? parseChecksum(header(req, 'upload-checksum')) : undefined,
    });
    reply.header('Location', `${TUS_PATH}/${result.upload.id}`);
    progressHeaders(reply, result.upload);
    return reply.status(201).send();
  });

  app.head<{ Params: IdParams }>(`${TUS_PATH}/:uploadId`, async (req, reply) => {
    const u = await tus.status(req.params.uploadId, await viewer(req));
    progressHeaders(reply, u);
    return reply
      .status(200)
      .headers({ 'Upload-Length': String(u.length), 'Cache-Control': 'no-store' })
      .send();
  });

  app.patch<{ Params: IdParams }>(`${TUS_PATH}/:uploadId`, async (req, reply) => {
    if (!isOctets(req)) throw new ApiError(415, `PATCH requests must have Content-Type: ${OCTETS}.`);
    const offset = parseSizeHeader('Upload-Offset', header(req, 'upload-offset'));
    const checksum = parseChecksum(header(req, 'upload-checksum'));
    const result = await tus.append(req.params.uploadId, offset, req.raw, checksum, await viewer(req));
    progressHeaders(reply, result.upload);
    return reply.status(204).send();
  });

  app.delete<{ Params: IdParams }>(`${TUS_PATH}/:uploadId`, async (req, reply) => {
    await tus.terminate(req.params.uploadId, await viewer(req));
    return reply.status(204).send();
  });
}
