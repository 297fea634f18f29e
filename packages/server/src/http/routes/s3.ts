import type { FastifyReply } from 'fastify';
import { ApiError } from '../../errors/api-error.ts';
import { ErrorCode } from '../../errors/codes.ts';
import { invalidArgument, S3Error } from '../../s3/s3-error.ts';
import { checkScope, inScope } from '../../s3/s3-keys.ts';
import { el, parseDelete, xmlDocument } from '../../s3/xml.ts';
import type { Bucket } from '../../storage/bucket-model.ts';
import type { ObjectRow } from '../../storage/bucket-store.ts';
import type { ListPage } from '../../storage/object-list.ts';
import type { HttpDeps } from '../deps.ts';
import type { RouteApp } from '../route-schema.ts';
import { smallBody } from '../s3-body.ts';
import { isoTime, sendS3Error, sendXml } from '../s3-reply.ts';
import { authenticateS3, callerOf, rememberCaller, S3_VIEWER, s3Bucket } from '../s3-request.ts';
import { S3BucketParams, s3ObjectRoutes, s3Op } from './s3-objects.ts';

type Query = Record<string, string | undefined>;

/** `encoding-type=url`: keys percent-encoded (slashes kept) so any byte survives XML. */
const encoder = (q: Query) => (s: string) =>
  q['encoding-type'] === 'url' ? encodeURIComponent(s).replace(/%2F/g, '/') : s;

function contents(o: ObjectRow, enc: (s: string) => string): string {
  return el('Contents', [
    el('Key', enc(o.name)),
    el('LastModified', isoTime(o.updated)),
    el('ETag', o.etag),
    el('Size', o.size),
    el('StorageClass', 'STANDARD'),
  ]);
}

const commonPrefixes = (page: ListPage, enc: (s: string) => string) =>
  page.prefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))]));

function maxKeys(q: Query): number {
  if (q['max-keys'] === undefined) return 1000;
  const n = Number(q['max-keys']);
  if (!Number.isInteger(n) || n < 0)
    throw invalidArgument('Provided max-keys not an integer or within integer range');
  return Math.min(n, 1000);
}

/**
 * ForgeBase's S3-compatible API under `/s3` (path style: `/s3/<bucket>/<key>`), over the
 * storage buckets: every request is SigV4-signed by an access key (see s3-keys routes);
 * answers and errors are S3's XML. This file: the service and bucket operations.
 */
export function s3Routes(app: RouteApp, deps: HttpDeps): void {
  app.register(async (ctx) => {
    const s3: RouteApp = ctx.withTypeProvider();
    s3.removeAllContentTypeParsers();
    s3.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    s3.setErrorHandler((err, req, reply) => sendS3Error(err as Error, req, reply));
    s3.addHook('onRequest', async (req) => {
      rememberCaller(req, await authenticateS3(req, deps.s3.keys));
    });
    s3.addHook('onSend', async (req, reply) => {
      reply.header('x-amz-request-id', req.id);
    });
    s3BucketRoutes(s3, deps);
    s3ObjectRoutes(s3, deps);
  });
}

function s3BucketRoutes(app: RouteApp, deps: HttpDeps): void {
  const { storage } = deps;

  app.get('/s3', { schema: s3Op('S3 ListBuckets') }, async (req, reply) => {
    const { key } = callerOf(req);
    const buckets = (await storage.listBuckets(S3_VIEWER)).filter((b) => inScope(key, b.name));
    return sendXml(
      reply,
      xmlDocument('ListAllMyBucketsResult', [
        el('Owner', [el('ID', key.accessKeyId), el('DisplayName', key.name || key.accessKeyId)]),
        el(
          'Buckets',
          buckets.map((b) => el('Bucket', [el('Name', b.name), el('CreationDate', isoTime(b.created))])),
        ),
      ]),
    );
  });

  app.put(
    '/s3/:bucket',
    { schema: { ...s3Op('S3 CreateBucket', true), params: S3BucketParams } },
    async (req, reply) => {
      const name = req.params.bucket;
      checkScope(callerOf(req).key, name, true);
      req.raw.resume(); // a CreateBucketConfiguration body (region) has nothing for us
      try {
        await storage.createBucket({ name }, S3_VIEWER);
      } catch (e) {
        if (e instanceof ApiError && e.code === ErrorCode.bucketExists)
          throw new S3Error(
            409,
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
          );
        if (e instanceof ApiError && e.data.name)
          throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.');
        throw e;
      }
      return reply.status(200).header('location', `/${name}`).send();
    },
  );

  app.delete(
    '/s3/:bucket',
    { schema: { ...s3Op('S3 DeleteBucket'), params: S3BucketParams } },
    async (req, reply) => {
      const bucket = await s3Bucket(deps, req, req.params.bucket, true);
      try {
        await storage.deleteBucket(bucket.id, S3_VIEWER);
        await deps.s3.multipart.abortAll(bucket.id);
      } catch (e) {
        if (e instanceof ApiError && e.code === ErrorCode.bucketNotEmpty)
          throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
        throw e;
      }
      return reply.status(204).send();
    },
  );

  // GET: ListObjects (v1, or v2 with list-type=2), ListMultipartUploads (?uploads),
  // GetBucketLocation (?location); HEAD: HeadBucket
  app.route({
    method: ['GET', 'HEAD'],
    url: '/s3/:bucket',
    schema: {
      ...s3Op('S3 ListObjects / ListObjectsV2 / ListMultipartUploads / HeadBucket'),
      params: S3BucketParams,
    },
    handler: async (req, reply) => {
      const bucket = await s3Bucket(deps, req, req.params.bucket, false);
      const q = req.query;
      if (req.method === 'HEAD') return reply.status(200).send();
      if (q.location !== undefined) return sendXml(reply, xmlDocument('LocationConstraint', []));
      if (q.uploads !== undefined) return listUploads(deps, bucket, q, reply);
      const enc = encoder(q);
      const max = maxKeys(q);
      const prefix = q.prefix ?? '';
      const delimiter = q.delimiter || undefined;
      const v2 = q['list-type'] === '2';
      let after: string | undefined;
      if (v2 && q['continuation-token'] !== undefined) {
        after = Buffer.from(q['continuation-token'], 'base64url').toString('utf8');
        if (!after) throw invalidArgument('The continuation token provided is incorrect');
      } else after = (v2 ? q['start-after'] : q.marker) || undefined;
      const page: ListPage =
        max === 0
          ? { objects: [], prefixes: [], truncated: false }
          : await storage.list(
              bucket.name,
              {
                prefix,
                limit: max,
                ...(delimiter ? { delimiter } : {}),
                ...(after !== undefined ? { after } : {}),
              },
              S3_VIEWER,
            );
      const next = page.truncated ? page.next : undefined;
      const common = [
        el('Name', bucket.name),
        el('Prefix', enc(prefix)),
        delimiter ? el('Delimiter', enc(delimiter)) : '',
        el('MaxKeys', max),
        q['encoding-type'] === 'url' ? el('EncodingType', 'url') : '',
        el('IsTruncated', page.truncated),
      ];
      const entries = [...page.objects.map((o) => contents(o, enc)), ...commonPrefixes(page, enc)];
      if (v2)
        return sendXml(
          reply,
          xmlDocument('ListBucketResult', [
            ...common,
            el('KeyCount', page.objects.length + page.prefixes.length),
            q['continuation-token'] !== undefined ? el('ContinuationToken', q['continuation-token']) : '',
            next !== undefined ? el('NextContinuationToken', Buffer.from(next).toString('base64url')) : '',
            q['start-after'] !== undefined ? el('StartAfter', enc(q['start-after'])) : '',
            ...entries,
          ]),
        );
      return sendXml(
        reply,
        xmlDocument('ListBucketResult', [
          ...common,
          el('Marker', enc(q.marker ?? '')),
          next !== undefined ? el('NextMarker', enc(next)) : '',
          ...entries,
        ]),
      );
    },
  });

  // DeleteObjects (POST ?delete)
  app.post(
    '/s3/:bucket',
    { schema: { ...s3Op('S3 DeleteObjects (`?delete`)', true), params: S3BucketParams } },
    async (req, reply) => {
      if (req.query.delete === undefined) throw invalidArgument('Unsupported bucket operation.');
      const bucket = await s3Bucket(deps, req, req.params.bucket, true);
      const { keys, quiet } = parseDelete(await smallBody(req.raw));
      await storage.remove(bucket.name, keys, S3_VIEWER);
      // S3 reports a missing key as deleted too
      return sendXml(
        reply,
        xmlDocument('DeleteResult', quiet ? [] : keys.map((k) => el('Deleted', [el('Key', k)]))),
      );
    },
  );
}

async function listUploads(deps: HttpDeps, bucket: Bucket, q: Query, reply: FastifyReply) {
  const max = Math.min(Number(q['max-uploads'] ?? 1000) || 1000, 1000);
  const { uploads, truncated } = await deps.s3.multipart.listUploads(bucket.name, q.prefix ?? '', max);
  return sendXml(
    reply,
    xmlDocument('ListMultipartUploadsResult', [
      el('Bucket', bucket.name),
      el('Prefix', q.prefix ?? ''),
      el('MaxUploads', max),
      el('IsTruncated', truncated),
      ...uploads.map((u) =>
        el('Upload', [
          el('Key', u.name),
          el('UploadId', u.id),
          el('StorageClass', 'STANDARD'),
          el('Initiated', isoTime(u.created)),
        ]),
      ),
    ]),
  );
}
