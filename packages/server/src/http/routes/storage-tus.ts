import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors/codes.ts';
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
import { NoContent, NoQuery, RawBody, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
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

const IdParams = Type.Object({
  uploadId: Type.String({ description: 'The upload id (the last segment of its Location).' }),
});

/** A tus operation's description; every answer is header-only. */
function tusOp<E extends object = object>(summary: string, description: string, status: number, extra?: E) {
  return {
    schema: {
      summary,
      description: `${description} Every answer carries \`Tus-Resumable: 1.0.0\`; requests other than OPTIONS must send it (412 otherwise).`,
      tags: ['storage'],
      forgebase: true,
      querystring: NoQuery,
      response: { [status]: NoContent },
      ...(extra as E),
    },
  };
}
const CAPABILITIES =
  'Answers with Tus-Version, Tus-Extension (creation, creation-with-upload, termination, checksum, expiration), Tus-Max-Size and Tus-Checksum-Algorithm (sha1, md5, sha256).';
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
export function storageTusRoutes(app: RouteApp, deps: HttpDeps): void {
  app.register(async (ctx) => tusContext(ctx.withTypeProvider(), deps));
}

function tusContext(app: RouteApp, deps: HttpDeps): void {
  const { tus, auth } = deps;
  const viewer = (req: FastifyRequest) => requestViewer(req, auth);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS' || header(req, 'tus-resumable') === TUS_VERSION) return;
    reply.header('Tus-Version', TUS_VERSION);
    throw errors.preconditionFailed(`Send Tus-Resumable: ${TUS_VERSION}.`);
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
  app.options(TUS_PATH, tusOp('tus capabilities', CAPABILITIES, 204), options);
  app.options(
    `${TUS_PATH}/:uploadId`,
    tusOp('tus capabilities', 'As for the creation endpoint.', 204, { params: IdParams }),
    options,
  );

  const START =
    "Headers: `Upload-Length` (required), `Upload-Metadata` with base64 `bucketName`, `objectName` and optional `contentType`, `cacheControl`; `x-upsert: true` to replace. The bucket's createRule (updateRule with upsert) and maxSize are checked before any bytes: 403, 409, 413. With `Content-Type: application/offset+octet-stream` the body is the first chunk. Answers 201 with `Location` and `Upload-Expires`.";
  app.post(TUS_PATH, tusOp('Start a resumable upload', START, 201, { body: RawBody }), async (req, reply) => {
    if (header(req, 'upload-defer-length') !== undefined)
      throw errors.badRequest('Upload-Defer-Length is not supported: send Upload-Length.');
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

  const PROGRESS =
    "Answers `Upload-Offset`, `Upload-Length`, `Upload-Expires` and `Cache-Control: no-store`; 404 for unknown uploads or another user's, 410 once expired.";
  app.head(
    `${TUS_PATH}/:uploadId`,
    tusOp("An upload's progress", PROGRESS, 200, { params: IdParams }),
    async (req, reply) => {
      const u = await tus.status(req.params.uploadId, await viewer(req));
      progressHeaders(reply, u);
      return reply
        .status(200)
        .headers({ 'Upload-Length': String(u.length), 'Cache-Control': 'no-store' })
        .send();
    },
  );

  const APPEND =
    'Body: `application/offset+octet-stream`, streamed. `Upload-Offset` must equal the current offset (409); optional `Upload-Checksum: <sha1|md5|sha256> <base64>` (460 and the chunk discarded on mismatch); 423 while another request writes. Bytes that arrived before a dropped connection are kept. The last byte writes the object (rules, type sniffing and limits apply). Answers the new `Upload-Offset`.';
  const appendSchema = tusOp('Append a chunk', APPEND, 204, { params: IdParams, body: RawBody });
  app.patch(`${TUS_PATH}/:uploadId`, appendSchema, async (req, reply) => {
    if (!isOctets(req))
      throw errors.unsupportedMediaType(`PATCH requests must have Content-Type: ${OCTETS}.`);
    const offset = parseSizeHeader('Upload-Offset', header(req, 'upload-offset'));
    const checksum = parseChecksum(header(req, 'upload-checksum'));
    const result = await tus.append(req.params.uploadId, offset, req.raw, checksum, await viewer(req));
    progressHeaders(reply, result.upload);
    return reply.status(204).send();
  });

  const cancel = tusOp(
    'Cancel an upload',
    'Termination: the upload and its received bytes are removed.',
    204,
    {
      params: IdParams,
    },
  );
  app.delete(`${TUS_PATH}/:uploadId`, cancel, async (req, reply) => {
    await tus.terminate(req.params.uploadId, await viewer(req));
    return reply.status(204).send();
  });
}
