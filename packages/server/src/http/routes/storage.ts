import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors/codes.ts';
import type { Bucket as BucketModel } from '../../storage/bucket-model.ts';
import type { ObjectRow } from '../../storage/bucket-store.ts';
import { parseTransform } from '../../storage/image-transform.ts';
import type { ListOptions } from '../../storage/object-list.ts';
import type { ServedObject } from '../../storage/storage-service.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, RawBody, type RouteApp } from '../route-schema.ts';
import { serveBlob } from '../serve-blob.ts';
import { Type } from '../type.ts';
import { requestViewer } from '../viewer.ts';
import {
  Bucket,
  BucketInput,
  BucketParams,
  DOWNLOAD_NOTE,
  Download,
  DownloadQuery,
  doc,
  MoveBody,
  ObjectListBody,
  ObjectParams,
  SignedQuery,
  StorageObject,
  TransformQuery,
  UPLOAD_NOTE,
} from './storage-schemas.ts';

/** An object as the storage API returns it. */
export function objectJSON(bucket: BucketModel, o: ObjectRow): Record<string, unknown> {
  return {
    id: o.id,
    bucket: bucket.name,
    name: o.name,
    key: `${bucket.name}/${o.name}`,
    size: o.size,
    mimeType: o.mimeType,
    etag: o.etag,
    owner: o.owner,
    metadata: o.metadata,
    created: o.created,
    updated: o.updated,
  };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const flag = (v: unknown): boolean => /^(1|t|true)$/i.test(text(v) ?? '');

/** Sends an object with ranges, ETag and a safe Content-Disposition name (`download=1`: an attachment). */
function send(
  req: FastifyRequest,
  reply: FastifyReply,
  blobs: HttpDeps['files']['blobs'],
  o: ServedObject,
  download: string | undefined,
) {
  const base = o.object.name.split('/').pop() ?? 'file';
  const name = base.replace(/[^\w.-]+/g, '_') || 'file';
  return serveBlob(req, reply, blobs, { key: o.key, name, info: o.info }, flag(download));
}

/**
 * ForgeBase's storage API (Supabase-like, under `/api/storage`): buckets (superusers),
 * objects with rules, listing, move/copy, signed URLs and image transforms. Uploads are
 * raw request bodies, streamed (see `storageUploadRoutes`).
 */
/**
 * ForgeBase's storage API (Supabase-like, under `/api/storage`): buckets (superusers),
 * objects with rules, listing, move/copy, signed URLs and image transforms. Uploads are
 * raw request bodies, streamed (see `storageUploadRoutes`).
 */
export function storageRoutes(app: RouteApp, deps: HttpDeps): void {
  const { storage, auth } = deps;
  const blobs = deps.files.blobs;
  const viewer = (req: FastifyRequest) => requestViewer(req, auth);

  app.get(
    '/api/storage/buckets',
    {
      schema: {
        ...doc('List buckets (superusers)'),
        querystring: NoQuery,
        response: { 200: Type.Array(Bucket) },
      },
    },
    async (req) => storage.listBuckets(await viewer(req)),
  );
  app.post(
    '/api/storage/buckets',
    {
      schema: {
        ...doc('Create a bucket (superusers)'),
        querystring: NoQuery,
        body: BucketInput,
        response: { 200: Bucket },
      },
    },
    async (req) => storage.createBucket(await readBody(req), await viewer(req)),
  );
  app.get(
    '/api/storage/buckets/:bucket',
    {
      schema: {
        ...doc('View a bucket (superusers)'),
        params: BucketParams,
        querystring: NoQuery,
        response: { 200: Bucket },
      },
    },
    async (req) => storage.getBucket(req.params.bucket, await viewer(req)),
  );
  app.patch(
    '/api/storage/buckets/:bucket',
    {
      schema: {
        ...doc('Update a bucket (superusers)'),
        params: BucketParams,
        querystring: NoQuery,
        body: BucketInput,
        response: { 200: Bucket },
      },
    },
    async (req) => storage.updateBucket(req.params.bucket, await readBody(req), await viewer(req)),
  );
  app.delete(
    '/api/storage/buckets/:bucket',
    {
      schema: {
        ...doc('Delete an empty bucket (409 when not empty) (superusers)'),
        params: BucketParams,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await storage.deleteBucket(req.params.bucket, await viewer(req));
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/storage/buckets/:bucket/empty',
    {
      schema: {
        ...doc('Delete every object of a bucket (superusers)'),
        params: BucketParams,
        querystring: NoQuery,
        response: { 200: Type.Object({ removed: Type.Integer() }) },
      },
    },
    async (req) => ({ removed: await storage.emptyBucket(req.params.bucket, await viewer(req)) }),
  );

  app.get(
    '/api/storage/object/:bucket/*',
    {
      schema: {
        ...doc('Download an object (viewRule; public buckets: anyone)', DOWNLOAD_NOTE),
        params: ObjectParams,
        querystring: DownloadQuery,
        response: { 200: Download },
      },
    },
    async (req, reply) =>
      send(
        req,
        reply,
        blobs,
        await storage.download(req.params.bucket, req.params['*'], await viewer(req)),
        req.query.download,
      ),
  );
  app.get(
    '/api/storage/object/info/:bucket/*',
    {
      schema: {
        ...doc("An object's metadata (viewRule)"),
        params: ObjectParams,
        querystring: NoQuery,
        response: { 200: StorageObject },
      },
    },
    async (req) => {
      const bucket = await storage.bucketFor(req.params.bucket);
      return objectJSON(bucket, await storage.info(req.params.bucket, req.params['*'], await viewer(req)));
    },
  );
  app.delete(
    '/api/storage/object/:bucket/*',
    {
      schema: {
        ...doc('Delete an object (deleteRule)'),
        params: ObjectParams,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const deleted = await storage.remove(req.params.bucket, [req.params['*']], await viewer(req));
      if (deleted.length === 0) throw errors.notFound('Object not found.');
      return reply.status(204).send();
    },
  );
  app.delete(
    '/api/storage/object/:bucket',
    {
      schema: {
        ...doc('Delete several objects (deleteRule; others are skipped)'),
        params: BucketParams,
        querystring: NoQuery,
        body: Type.Object({
          prefixes: Type.Optional(Type.Array(Type.String(), { description: '1 to 1000 object names.' })),
        }),
        response: { 200: Type.Array(StorageObject) },
      },
    },
    async (req) => {
      const names = (await readBody(req)).prefixes;
      if (
        !Array.isArray(names) ||
        names.length === 0 ||
        names.length > 1000 ||
        names.some((n) => typeof n !== 'string')
      )
        throw errors.badRequest('Send {"prefixes": [...]} with 1 to 1000 object names.');
      const bucket = await storage.bucketFor(req.params.bucket);
      const deleted = await storage.remove(req.params.bucket, names as string[], await viewer(req));
      return deleted.map((o) => objectJSON(bucket, o));
    },
  );

  app.post(
    '/api/storage/object/list/:bucket',
    {
      schema: {
        ...doc(
          'List objects (listRule)',
          'Folder listing by default (`delimiter` "/"): `prefixes` are sub-folders. `delimiter: ""` lists flat; `after` continues from `next`.',
        ),
        params: BucketParams,
        querystring: NoQuery,
        body: ObjectListBody,
        response: {
          200: Type.Object({
            prefixes: Type.Array(Type.String()),
            items: Type.Array(StorageObject),
            truncated: Type.Boolean(),
            next: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const body = await readBody(req);
      const bucket = await storage.bucketFor(req.params.bucket);
      const page = await storage.list(req.params.bucket, listOptions(body), await viewer(req));
      return {
        prefixes: page.prefixes,
        items: page.objects.map((o) => objectJSON(bucket, o)),
        truncated: page.truncated,
        ...(page.next !== undefined ? { next: page.next } : {}),
      };
    },
  );

  const MOVES = {
    move: 'Rename an object (updateRule at the source, createRule at the target)',
    copy: 'Copy an object (viewRule at the source, createRule at the target)',
  };
  for (const action of ['move', 'copy'] as const) {
    app.post(
      `/api/storage/object/${action}`,
      {
        schema: {
          ...doc(MOVES[action]),
          querystring: NoQuery,
          body: MoveBody,
          response: { 200: StorageObject },
        },
      },
      async (req) => {
        const body = await readBody(req);
        const [bucketId, from, to] = [text(body.bucketId), text(body.sourceKey), text(body.destinationKey)];
        if (!bucketId || !from || !to)
          throw errors.badRequest('Send bucketId, sourceKey and destinationKey.');
        const toBucket = text(body.destinationBucket);
        const o = await storage[action](bucketId, from, to, await viewer(req), toBucket);
        return objectJSON(await storage.bucketFor(toBucket ?? bucketId), o);
      },
    );
  }

  app.post(
    '/api/storage/object/sign/:bucket/*',
    {
      schema: {
        ...doc('A signed download URL (viewRule)'),
        params: ObjectParams,
        querystring: NoQuery,
        body: Type.Object({
          expiresIn: Type.Optional(Type.Integer({ description: 'Seconds, 1 to 604800.' })),
        }),
        response: { 200: Type.Object({ signedURL: Type.String() }) },
      },
    },
    async (req) => {
      const expiresIn = Number((await readBody(req)).expiresIn);
      return {
        signedURL: await storage.signDownload(
          req.params.bucket,
          req.params['*'],
          expiresIn,
          await viewer(req),
        ),
      };
    },
  );
  app.get(
    '/api/storage/object/sign/:bucket/*',
    {
      schema: {
        ...doc('Download through a signed URL', DOWNLOAD_NOTE),
        params: ObjectParams,
        querystring: SignedQuery,
        response: { 200: Download },
      },
    },
    async (req, reply) => {
      await storage.grant(req.query.token ?? '', req.params.bucket, req.params['*'], 'download');
      const served = await storage.downloadSigned(req.params.bucket, req.params['*']);
      return send(req, reply, blobs, served, req.query.download);
    },
  );
  app.post(
    '/api/storage/object/upload/sign/:bucket/*',
    {
      schema: {
        ...doc('A signed upload URL, valid 2 hours (createRule, or updateRule with `x-upsert: true`)'),
        params: ObjectParams,
        querystring: NoQuery,
        response: { 200: Type.Object({ url: Type.String(), token: Type.String() }) },
      },
    },
    async (req) =>
      storage.signUpload(
        req.params.bucket,
        req.params['*'],
        flag(req.headers['x-upsert']),
        await viewer(req),
      ),
  );

  app.get(
    '/api/storage/render/image/:bucket/*',
    {
      schema: {
        ...doc('A resized or converted image, cached (viewRule)', DOWNLOAD_NOTE),
        params: ObjectParams,
        querystring: TransformQuery,
        response: { 200: Download },
      },
    },
    async (req, reply) => {
      const served = await storage.transform(
        req.params.bucket,
        req.params['*'],
        parseTransform(req.query),
        await viewer(req),
      );
      return send(req, reply, blobs, served, req.query.download);
    },
  );

  app.register(async (raw) => storageUploadRoutes(raw.withTypeProvider(), deps));
}

/** Upload routes: the request body is the object's bytes, streamed (no body parsing). */
function storageUploadRoutes(app: RouteApp, deps: HttpDeps): void {
  const { storage, auth } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  const upload = async (req: FastifyRequest, params: { bucket: string; '*': string }, upsert: boolean) => {
    const bucket = await storage.bucketFor(params.bucket);
    const o = await storage.upload(params.bucket, params['*'], req.raw, {
      contentType: text(req.headers['content-type']),
      upsert,
      viewer: await requestViewer(req, auth),
    });
    return objectJSON(bucket, o);
  };
  const uploadSchema = (summary: string, description: string) => ({
    ...doc(summary, `${description} ${UPLOAD_NOTE}`),
    params: ObjectParams,
    querystring: NoQuery,
    body: RawBody,
    response: { 200: StorageObject },
  });
  app.post(
    '/api/storage/object/:bucket/*',
    {
      schema: uploadSchema(
        'Upload an object',
        'createRule; 409 when the name is taken unless `x-upsert: true` (then updateRule).',
      ),
    },
    (req) => upload(req, req.params, flag(req.headers['x-upsert'])),
  );
  app.put(
    '/api/storage/object/:bucket/*',
    {
      schema: uploadSchema(
        'Upload or replace an object',
        'createRule for a new name, updateRule to replace.',
      ),
    },
    (req) => upload(req, req.params, true),
  );
  app.put(
    '/api/storage/object/upload/sign/:bucket/*',
    {
      schema: {
        ...uploadSchema(
          'Upload through a signed URL',
          'No auth needed: the object belongs to whoever signed the URL.',
        ),
        querystring: Type.Object({ token: SignedQuery.properties.token }),
      },
    },
    async (req) => {
      const name = req.params['*'];
      const grant = await storage.grant(req.query.token ?? '', req.params.bucket, name, 'upload');
      const bucket = await storage.bucketFor(req.params.bucket);
      const o = await storage.uploadSigned(
        req.params.bucket,
        name,
        req.raw,
        grant,
        text(req.headers['content-type']),
      );
      return objectJSON(bucket, o);
    },
  );
}

function listOptions(body: Record<string, unknown>): ListOptions {
  const opts: ListOptions = {};
  const prefix = text(body.prefix) ?? '';
  // Supabase lists one folder: `prefix` names it, with or without the trailing slash
  const delimiter = body.delimiter === undefined ? '/' : text(body.delimiter);
  opts.prefix = delimiter && prefix && !prefix.endsWith(delimiter) ? prefix + delimiter : prefix;
  if (delimiter) opts.delimiter = delimiter;
  if (typeof body.limit === 'number') opts.limit = body.limit;
  if (typeof body.offset === 'number') opts.offset = body.offset;
  if (text(body.search)) opts.search = text(body.search)!;
  if (text(body.after)) opts.after = text(body.after)!;
  const sortBy = body.sortBy as { column?: unknown; order?: unknown } | undefined;
  if (sortBy && typeof sortBy === 'object') {
    const column = text(sortBy.column);
    if (column === 'name' || column === 'created' || column === 'updated' || column === 'size')
      opts.sortBy = column;
    opts.desc = text(sortBy.order)?.toLowerCase() === 'desc';
  }
  return opts;
}
