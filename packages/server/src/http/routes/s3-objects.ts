import { ApiError } from '../../errors/api-error.ts';
import { invalidArgument, noSuchKey, S3Error } from '../../s3/s3-error.ts';
import { checkScope } from '../../s3/s3-keys.ts';
import { el, parseCompleteParts, xmlDocument } from '../../s3/xml.ts';
import type { ServedObject } from '../../storage/storage-service.ts';
import type { HttpDeps } from '../deps.ts';
import { mediaBody, NoContent, ObjectNameParam, RawBody, type RouteApp } from '../route-schema.ts';
import { s3Body, smallBody } from '../s3-body.ts';
import { isoTime, sendS3Object, sendXml } from '../s3-reply.ts';
import { callerOf, S3_VIEWER, s3Bucket, userMetadata } from '../s3-request.ts';
import { Type } from '../type.ts';

/** S3's query parameters: names chosen by the operation (`?uploads`, `?uploadId=`, `list-type`). */
const S3Query = Type.Record(Type.String(), Type.String());
export const S3BucketParams = Type.Object({ bucket: Type.String() });
const ObjectParams = Type.Object({ bucket: Type.String(), '*': ObjectNameParam });

/**
 * The schema of an /s3 route: the S3 protocol (XML in and out), described in docs/storage.md
 * rather than as JSON shapes.
 */
export function s3Op(summary: string, body = false) {
  return {
    summary,
    description:
      'S3 protocol (path style, SigV4-signed with a ForgeBase S3 access key; XML answers and errors): see docs/storage.md, "S3-compatible API".',
    tags: ['s3'],
    forgebase: true,
    protocol: 's3',
    querystring: S3Query,
    ...(body ? { body: RawBody } : {}),
    response: { 200: mediaBody('application/xml'), 204: NoContent },
  };
}

/** Storage's "not found" for an object becomes S3's NoSuchKey. */
async function object<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && !(e instanceof S3Error) && e.status === 404) throw noSuchKey();
    throw e;
  }
}

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, maybe with `?versionId=`. */
function copySource(header: string): { bucket: string; key: string } {
  let text = header.split('?')[0]!;
  try {
    text = decodeURIComponent(text);
  } catch {
    throw invalidArgument('Invalid copy source encoding.');
  }
  const m = /^\/?([^/]+)\/(.+)$/.exec(text);
  if (!m)
    throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey.');
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * The object operations of the /s3 API: Put/Get/Head/Delete/Copy, and multipart uploads
 * (create, upload part, complete, abort, list parts). Bodies are streamed, never buffered.
 */
export function s3ObjectRoutes(app: RouteApp, deps: HttpDeps): void {
  const { storage, s3 } = deps;
  const blobs = deps.files.blobs;
  const keyOf = (req: { params: { '*': string } }) => req.params['*'];

  // GetObject / HeadObject; ListParts with ?uploadId
  // (HEAD is its own route: Fastify's automatic one would send Content-Length: 0)
  app.route({
    method: ['GET', 'HEAD'],
    url: '/s3/:bucket/*',
    schema: { ...s3Op('S3 GetObject / HeadObject / ListParts'), params: ObjectParams },
    handler: async (req, reply) => {
      const bucket = await s3Bucket(deps, req, req.params.bucket, false);
      const q = req.query;
      if (q.uploadId !== undefined) {
        const marker = Number(q['part-number-marker'] ?? 0) || 0;
        const max = Math.min(Number(q['max-parts'] ?? 1000) || 1000, 1000);
        const { parts, truncated } = await s3.multipart.listParts(
          bucket.name,
          keyOf(req),
          q.uploadId,
          marker,
          max,
        );
        return sendXml(
          reply,
          xmlDocument('ListPartsResult', [
            el('Bucket', bucket.name),
            el('Key', keyOf(req)),
            el('UploadId', q.uploadId),
            el('PartNumberMarker', marker),
            truncated ? el('NextPartNumberMarker', parts.at(-1)!.number) : '',
            el('MaxParts', max),
            el('IsTruncated', truncated),
            ...parts.map((p) =>
              el('Part', [
                el('PartNumber', p.number),
                el('LastModified', isoTime(p.created)),
                el('ETag', p.etag),
                el('Size', p.size),
              ]),
            ),
          ]),
        );
      }
      const served: ServedObject = await object(storage.download(bucket.name, keyOf(req), S3_VIEWER));
      return sendS3Object(req, reply, blobs, served, q);
    },
  });

  // PutObject, CopyObject (x-amz-copy-source), UploadPart (?partNumber&uploadId)
  app.put(
    '/s3/:bucket/*',
    { schema: { ...s3Op('S3 PutObject / CopyObject / UploadPart', true), params: ObjectParams } },
    async (req, reply) => {
      const bucket = await s3Bucket(deps, req, req.params.bucket, true);
      const q = req.query;
      const caller = callerOf(req);
      const source = req.headers['x-amz-copy-source'];
      if (q.uploadId !== undefined) {
        if (source !== undefined)
          throw new S3Error(501, 'NotImplemented', 'UploadPartCopy is not supported.');
        const etag = await s3.multipart.uploadPart(
          bucket.name,
          keyOf(req),
          q.uploadId,
          Number(q.partNumber),
          s3Body(req, caller),
        );
        return reply.status(200).header('etag', etag).send();
      }
      if (typeof source === 'string') {
        const from = copySource(source);
        checkScope(caller.key, from.bucket, false);
        const src = await object(storage.download(from.bucket, from.key, S3_VIEWER));
        req.raw.resume();
        const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
        const o = await storage.upload(bucket.name, keyOf(req), await blobs.read(src.key), {
          contentType: src.object.mimeType,
          metadata: replace ? userMetadata(req) : src.object.metadata,
          upsert: true,
          viewer: S3_VIEWER,
        });
        return sendXml(
          reply,
          xmlDocument('CopyObjectResult', [el('LastModified', isoTime(o.updated)), el('ETag', o.etag)]),
        );
      }
      const contentType = req.headers['content-type'];
      const o = await storage.upload(bucket.name, keyOf(req), s3Body(req, caller), {
        contentType: typeof contentType === 'string' ? contentType : undefined,
        metadata: userMetadata(req),
        upsert: true,
        viewer: S3_VIEWER,
      });
      return reply.status(200).header('etag', o.etag).send();
    },
  );

  app.delete(
    '/s3/:bucket/*',
    { schema: { ...s3Op('S3 DeleteObject / AbortMultipartUpload'), params: ObjectParams } },
    async (req, reply) => {
      const bucket = await s3Bucket(deps, req, req.params.bucket, true);
      if (req.query.uploadId !== undefined)
        await s3.multipart.abort(bucket.name, keyOf(req), req.query.uploadId);
      // S3 answers 204 for a key that does not exist too
      else await storage.remove(bucket.name, [keyOf(req)], S3_VIEWER);
      return reply.status(204).send();
    },
  );

  // CreateMultipartUpload (?uploads), CompleteMultipartUpload (?uploadId)
  app.post(
    '/s3/:bucket/*',
    { schema: { ...s3Op('S3 CreateMultipartUpload / CompleteMultipartUpload', true), params: ObjectParams } },
    async (req, reply) => {
      const bucket = await s3Bucket(deps, req, req.params.bucket, true);
      const q = req.query;
      const key = keyOf(req);
      if (q.uploads !== undefined) {
        req.raw.resume();
        const type = req.headers['content-type'];
        const id = await s3.multipart.create(
          bucket.name,
          key,
          typeof type === 'string' ? type : undefined,
          userMetadata(req),
        );
        return sendXml(
          reply,
          xmlDocument('InitiateMultipartUploadResult', [
            el('Bucket', bucket.name),
            el('Key', key),
            el('UploadId', id),
          ]),
        );
      }
      if (q.uploadId === undefined) throw invalidArgument('Unsupported object operation.');
      const parts = parseCompleteParts(await smallBody(s3Body(req, callerOf(req))));
      const o = await s3.multipart.complete(bucket.name, key, q.uploadId, parts, S3_VIEWER);
      return sendXml(
        reply,
        xmlDocument('CompleteMultipartUploadResult', [
          el('Location', `/s3/${bucket.name}/${key}`),
          el('Bucket', bucket.name),
          el('Key', key),
          el('ETag', o.etag),
        ]),
      );
    },
  );
}
