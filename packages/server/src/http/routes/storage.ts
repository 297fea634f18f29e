import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError } from '../../errors/api-error.ts';
import type { Bucket } from '../../storage/bucket-model.ts';
import type { ObjectRow } from '../../storage/bucket-store.ts';
import { parseTransform } from '../../storage/image-transform.ts';
import type { ListOptions } from '../../storage/object-list.ts';
import type { ServedObject } from '../../storage/storage-service.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { serveBlob } from '../serve-blob.ts';
import { requestViewer } from '../viewer.ts';

type BucketParams = { bucket: string };
type ObjectParams = { bucket: string; '*': string };

/** An object as the storage API returns it. */
export function objectJSON(bucket: Bucket, o: ObjectRow): Record<string, unknown> {
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

/** Sends an object with ranges, ETag and a safe Content-Disposition name. */
function send(req: FastifyRequest, reply: FastifyReply, blobs: HttpDeps['files']['blobs'], o: ServedObject) {
  const base = o.object.name.split('/').pop() ?? 'file';
  const name = base.replace(/[^\w.-]+/g, '_') || 'file';
  return serveBlob(
    req,
    reply,
    blobs,
    { key: o.key, name, info: o.info },
    flag((req.query as Record<string, unknown>).download),
  );
}

/**
 * ForgeBase's storage API (Supabase-like, under `/api/storage`): buckets (superusers),
 * objects with rules, listing, move/copy, signed URLs and image transforms. Uploads are
 * raw request bodies, streamed (see `storageUploadRoutes`).
 */
export function storageRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { storage, auth } = deps;
  const blobs = deps.files.blobs;
  const viewer = (req: FastifyRequest) => requestViewer(req, auth);
  const objectName = (req: FastifyRequest<{ Params: ObjectParams }>) => req.params['*'];

  app.get('/api/storage/buckets', async (req) => storage.listBuckets(await viewer(req)));
  app.post('/api/storage/buckets', async (req) =>
    storage.createBucket(await readBody(req), await viewer(req)),
  );
  app.get<{ Params: BucketParams }>('/api/storage/buckets/:bucket', async (req) =>
    storage.getBucket(req.params.bucket, await viewer(req)),
  );
  app.patch<{ Params: BucketParams }>('/api/storage/buckets/:bucket', async (req) =>
    storage.updateBucket(req.params.bucket, await readBody(req), await viewer(req)),
  );
  app.delete<{ Params: BucketParams }>('/api/storage/buckets/:bucket', async (req, reply) => {
    await storage.deleteBucket(req.params.bucket, await viewer(req));
    return reply.status(204).send();
  });
  app.post<{ Params: BucketParams }>('/api/storage/buckets/:bucket/empty', async (req) => ({
    removed: await storage.emptyBucket(req.params.bucket, await viewer(req)),
  }));

  app.get<{ Params: ObjectParams }>('/api/storage/object/:bucket/*', async (req, reply) =>
    send(req, reply, blobs, await storage.download(req.params.bucket, objectName(req), await viewer(req))),
  );
  app.get<{ Params: ObjectParams }>('/api/storage/object/info/:bucket/*', async (req) => {
    const bucket = await storage.bucketFor(req.params.bucket);
    return objectJSON(bucket, await storage.info(req.params.bucket, objectName(req), await viewer(req)));
  });
  app.delete<{ Params: ObjectParams }>('/api/storage/object/:bucket/*', async (req, reply) => {
    const deleted = await storage.remove(req.params.bucket, [objectName(req)], await viewer(req));
    if (deleted.length === 0)
      return reply.status(404).send({ status: 404, message: 'Object not found.', data: {} });
    return reply.status(204).send();
  });
  app.delete<{ Params: BucketParams }>('/api/storage/object/:bucket', async (req) => {
    const body = await readBody(req);
    const names = body.prefixes;
    if (
      !Array.isArray(names) ||
      names.length === 0 ||
      names.length > 1000 ||
      names.some((n) => typeof n !== 'string')
    )
      throw new BadRequestError('Send {"prefixes": [...]} with 1 to 1000 object names.');
    const bucket = await storage.bucketFor(req.params.bucket);
    const deleted = await storage.remove(req.params.bucket, names as string[], await viewer(req));
    return deleted.map((o) => objectJSON(bucket, o));
  });

  app.post<{ Params: BucketParams }>('/api/storage/object/list/:bucket', async (req) => {
    const body = await readBody(req);
    const bucket = await storage.bucketFor(req.params.bucket);
    const page = await storage.list(req.params.bucket, listOptions(body), await viewer(req));
    return {
      prefixes: page.prefixes,
      items: page.objects.map((o) => objectJSON(bucket, o)),
      truncated: page.truncated,
      ...(page.next !== undefined ? { next: page.next } : {}),
    };
  });

  for (const action of ['move', 'copy'] as const) {
    app.post(`/api/storage/object/${action}`, async (req) => {
      const body = await readBody(req);
      const [bucketId, from, to] = [text(body.bucketId), text(body.sourceKey), text(body.destinationKey)];
      if (!bucketId || !from || !to)
        throw new BadRequestError('Send bucketId, sourceKey and destinationKey.', {});
      const toBucket = text(body.destinationBucket);
      const o = await storage[action](bucketId, from, to, await viewer(req), toBucket);
      return objectJSON(await storage.bucketFor(toBucket ?? bucketId), o);
    });
  }

  app.post<{ Params: ObjectParams }>('/api/storage/object/sign/:bucket/*', async (req) => {
    const body = await readBody(req);
    const expiresIn = Number(body.expiresIn);
    return {
      signedURL: await storage.signDownload(req.params.bucket, objectName(req), expiresIn, await viewer(req)),
    };
  });
  app.get<{ Params: ObjectParams }>('/api/storage/object/sign/:bucket/*', async (req, reply) => {
    const token = text((req.query as Record<string, unknown>).token) ?? '';
    await storage.grant(token, req.params.bucket, objectName(req), 'download');
    return send(req, reply, blobs, await storage.downloadSigned(req.params.bucket, objectName(req)));
  });
  app.post<{ Params: ObjectParams }>('/api/storage/object/upload/sign/:bucket/*', async (req) =>
    storage.signUpload(req.params.bucket, objectName(req), flag(req.headers['x-upsert']), await viewer(req)),
  );

  app.get<{ Params: ObjectParams }>('/api/storage/render/image/:bucket/*', async (req, reply) => {
    const t = parseTransform(req.query as Record<string, unknown>);
    return send(
      req,
      reply,
      blobs,
      await storage.transform(req.params.bucket, objectName(req), t, await viewer(req)),
    );
  });

  app.register(async (raw) => storageUploadRoutes(raw, deps));
}

/** Upload routes: the request body is the object's bytes, streamed (no body parsing). */
function storageUploadRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { storage, auth } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  const upload = async (req: FastifyRequest<{ Params: ObjectParams }>, upsert: boolean) => {
    const bucket = await storage.bucketFor(req.params.bucket);
    const o = await storage.upload(req.params.bucket, req.params['*'], req.raw, {
      contentType: text(req.headers['content-type']),
      upsert,
      viewer: await requestViewer(req, auth),
    });
    return objectJSON(bucket, o);
  };
  app.post<{ Params: ObjectParams }>('/api/storage/object/:bucket/*', (req) =>
    upload(req, flag(req.headers['x-upsert'])),
  );
  app.put<{ Params: ObjectParams }>('/api/storage/object/:bucket/*', (req) => upload(req, true));
  app.put<{ Params: ObjectParams }>('/api/storage/object/upload/sign/:bucket/*', async (req) => {
    const token = text((req.query as Record<string, unknown>).token) ?? '';
    const name = req.params['*'];
    const grant = await storage.grant(token, req.params.bucket, name, 'upload');
    const bucket = await storage.bucketFor(req.params.bucket);
    const o = await storage.uploadSigned(
      req.params.bucket,
      name,
      req.raw,
      grant,
      text(req.headers['content-type']),
    );
    return objectJSON(bucket, o);
  });
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
