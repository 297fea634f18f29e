import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors/api-error.ts';
import { ErrorCode, errors, FieldCode, fieldError } from '../errors/codes.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Clock } from '../tools/clock.ts';
import { nowDate } from '../tools/time.ts';
import { createBucketAdmin } from './bucket-admin.ts';
import { type Bucket, checkObjectName, mimeAllowed } from './bucket-model.ts';
import type { ObjectRow } from './bucket-store.ts';
import { type ImageTransform, TRANSFORMABLE, transformImage, transformName } from './image-transform.ts';
import { createObjectAccess, type ObjectAccessDeps, type ServedObject } from './object-access.ts';
import { createObjectLister, type ListOptions } from './object-list.ts';
import { effectiveType, meter, ObjectTooLargeError } from './object-upload.ts';
import { createUrlSigner, type SignedGrant } from './signed-urls.ts';

export type { ServedObject } from './object-access.ts';

/** 409 for an upload onto an existing name without upsert. */
const objectExists = () => errors.conflict('The object already exists.', ErrorCode.objectExists);

/**
 * Buckets and their objects (ForgeBase's storage API, Supabase-like): rules in the filter
 * language over `_objects`, uploads streamed to the blob store before the row is written
 * (the blob is removed again if the write fails), replaced blobs removed after commit.
 * Bucket administration is bucket-admin.ts; what the parts share is object-access.ts.
 */
export function createStorageService(
  deps: ObjectAccessDeps & {
    /** Signed URLs expire by it. */
    clock: Clock;
    /** The largest object whatever the bucket says, and the cached variants per image. */
    limits: { maxObjectSize: number; transformVariants: number };
  },
) {
  const { db, blobs } = deps;
  const { limits } = deps;
  /** A bucket's object size limit: its own maxSize, never above the global cap (0 = the cap). */
  const maxSizeOf = (bucket: Bucket) =>
    bucket.maxSize > 0 ? Math.min(bucket.maxSize, limits.maxObjectSize) : limits.maxObjectSize;
  const access = createObjectAccess(deps);
  const { store, blobKey, removeBlobs, bucketFor, condition, visibleObject } = access;
  const signer = createUrlSigner(db, deps.clock);
  const lister = createObjectLister(store, db);

  /** Streams `body` into a new blob, then writes the row; the upload rules decide. */
  async function put(
    bucket: Bucket,
    name: string,
    body: Readable,
    opts: {
      contentType?: string | undefined;
      upsert: boolean;
      viewer: Viewer;
      signed?: boolean;
      etag?: string;
      metadata?: Record<string, unknown>;
    },
  ): Promise<ObjectRow> {
    checkObjectName(name);
    const { viewer } = opts;
    const create = opts.signed ? ({ kind: 'all' } as const) : condition(bucket, 'createRule', viewer);
    const id = randomUUID();
    const key = blobKey(bucket.id, id);
    const m = meter(body, maxSizeOf(bucket));
    await blobs.put(key, m, { contentType: opts.contentType ?? 'application/octet-stream' });
    try {
      const mimeType = await effectiveType(m.head, name, opts.contentType);
      if (!mimeAllowed(bucket, mimeType))
        throw errors.unsupportedMediaType(`The content type "${mimeType}" is not allowed in this bucket.`, {
          mimeType: fieldError(FieldCode.invalidMimeType, `"${mimeType}" is not allowed.`),
        });
      const now = nowDate();
      const row: ObjectRow = {
        id,
        bucket: bucket.id,
        name,
        size: m.size,
        mimeType,
        etag: opts.etag ?? m.etag(),
        owner: viewer.authId ?? '',
        metadata: opts.metadata ?? {},
        created: now,
        updated: now,
      };
      const replaced = await db.transaction(async (tx) => {
        const existing = await store.findObject(tx, bucket.id, name);
        if (existing && !opts.upsert) throw objectExists();
        if (existing) {
          if (
            !opts.signed &&
            !(await access.passes(tx, existing.id, condition(bucket, 'updateRule', viewer)))
          )
            throw new ForbiddenError('You are not allowed to replace this object.');
          row.created = existing.created;
          row.owner = existing.owner;
          await store.replaceObject(tx, existing.id, row);
        } else await store.insertObject(tx, row);
        if (!(await access.passes(tx, id, create)))
          throw new ForbiddenError('You are not allowed to upload this object.');
        return existing;
      });
      if (replaced) removeBlobs([replaced]);
      return row;
    } catch (e) {
      await blobs.delete(key).catch(access.logFailure('removing the blob of a failed upload', key));
      throw e;
    }
  }

  /**
   * Refuses an upload before any bytes arrive: a bad name (400), an existing object without
   * upsert (409), rules (403), a declared size over the bucket's limit (413).
   */
  async function checkUpload(
    bucketName: string,
    name: string,
    upsert: boolean,
    viewer: Viewer,
    size?: number,
  ): Promise<Bucket> {
    checkObjectName(name);
    const bucket = await bucketFor(bucketName);
    const existing = await store.findObject(db, bucket.id, name);
    if (existing && !upsert) throw objectExists();
    if (existing) {
      if (!(await access.passes(db, existing.id, condition(bucket, 'updateRule', viewer))))
        throw new ForbiddenError('You are not allowed to replace this object.');
    } else await access.checkWouldCreate(bucket, name, viewer);
    if (size !== undefined && size > maxSizeOf(bucket)) throw new ObjectTooLargeError(maxSizeOf(bucket));
    return bucket;
  }

  return {
    ...createBucketAdmin(access),
    checkUpload,

    bucketFor: (nameOrId: string) => bucketFor(nameOrId),

    /**
     * Uploads an object: `upsert` replaces an existing one (its updateRule decides). `etag`
     * replaces the MD5 ETag (S3 multipart objects have their own); `metadata` is stored as is.
     */
    async upload(
      bucketName: string,
      name: string,
      body: Readable,
      opts: {
        contentType?: string | undefined;
        upsert: boolean;
        viewer: Viewer;
        etag?: string;
        metadata?: Record<string, unknown>;
      },
    ): Promise<ObjectRow> {
      const bucket = await bucketFor(bucketName);
      return put(bucket, name, body, opts);
    },

    /** An object to download, if the viewer may see it (or the bucket is public). */
    async download(bucketName: string, name: string, viewer: Viewer): Promise<ServedObject> {
      const bucket = await bucketFor(bucketName);
      return access.served(bucket, await visibleObject(bucket, name, viewer));
    },

    /** The object's metadata row, if the viewer may see it. */
    async info(bucketName: string, name: string, viewer: Viewer): Promise<ObjectRow> {
      const bucket = await bucketFor(bucketName);
      return visibleObject(bucket, name, viewer);
    },

    /** Lists objects the listRule lets the viewer see (folders with a delimiter). */
    async list(bucketName: string, opts: ListOptions, viewer: Viewer) {
      const bucket = await bucketFor(bucketName);
      const c = condition(bucket, 'listRule', viewer);
      return lister.list(bucket.id, opts, c.kind === 'where' ? c.sql : undefined);
    },

    /** Deletes the named objects the deleteRule allows; returns the ones deleted. */
    async remove(bucketName: string, names: string[], viewer: Viewer): Promise<ObjectRow[]> {
      const bucket = await bucketFor(bucketName);
      const c = condition(bucket, 'deleteRule', viewer);
      const deleted = await db.transaction(async (tx) => {
        const found: ObjectRow[] = [];
        for (const name of new Set(names)) {
          const o = await store.findObject(tx, bucket.id, name, c.kind === 'where' ? c.sql : undefined);
          if (o) found.push(o);
        }
        await store.deleteObjects(
          tx,
          found.map((o) => o.id),
        );
        return found;
      });
      removeBlobs(deleted);
      return deleted;
    },

    /** Renames an object, possibly into another bucket (updateRule at the source, createRule at the target). */
    async move(
      bucketName: string,
      from: string,
      to: string,
      viewer: Viewer,
      toBucket?: string,
    ): Promise<ObjectRow> {
      checkObjectName(to);
      const source = await bucketFor(bucketName);
      const target = toBucket ? await bucketFor(toBucket) : source;
      const object = await visibleObject(source, from, viewer, 'updateRule');
      if (target.id !== source.id) {
        // blobs are keyed by bucket: copy the bytes into the target's folder first
        await blobs.put(blobKey(target.id, object.id), await blobs.read(blobKey(source.id, object.id)), {
          contentType: object.mimeType,
        });
      }
      try {
        await db.transaction(async (tx) => {
          if (await store.findObject(tx, target.id, to))
            throw errors.conflict('The destination object already exists.', ErrorCode.objectExists);
          await store.renameObject(tx, object.id, target.id, to, nowDate());
          if (!(await access.passes(tx, object.id, condition(target, 'createRule', viewer))))
            throw new ForbiddenError('You are not allowed to create the destination object.');
        });
      } catch (e) {
        if (target.id !== source.id) {
          const copied = blobKey(target.id, object.id);
          await blobs.delete(copied).catch(access.logFailure('removing the copy of a failed move', copied));
        }
        throw e;
      }
      if (target.id !== source.id) removeBlobs([object]);
      else {
        const transforms = access.transformsPrefix(source.id, object.id);
        blobs
          .deletePrefix(transforms)
          .catch(access.logFailure('removing the transforms of a moved object', transforms));
      }
      return { ...object, bucket: target.id, name: to };
    },

    /** Copies an object the viewer may see to a new name (createRule at the target). */
    async copy(
      bucketName: string,
      from: string,
      to: string,
      viewer: Viewer,
      toBucket?: string,
    ): Promise<ObjectRow> {
      const source = await bucketFor(bucketName);
      const target = toBucket ? await bucketFor(toBucket) : source;
      const object = await visibleObject(source, from, viewer);
      const body = await blobs.read(blobKey(source.id, object.id));
      return put(target, to, body, { contentType: object.mimeType, upsert: false, viewer });
    },

    /** A signed download URL path for an object the viewer may see. */
    async signDownload(bucketName: string, name: string, expiresIn: number, viewer: Viewer): Promise<string> {
      const bucket = await bucketFor(bucketName);
      await visibleObject(bucket, name, viewer);
      const token = await signer.sign({ bucketId: bucket.id, name, action: 'download' }, expiresIn);
      return `/api/storage/object/sign/${encodeURIComponent(bucket.name)}/${encodePath(name)}?token=${token}`;
    },

    /** A signed upload URL (2 hours, like Supabase) for a name the viewer could create. */
    async signUpload(bucketName: string, name: string, upsert: boolean, viewer: Viewer) {
      const bucket = await checkUpload(bucketName, name, upsert, viewer);
      const grant = {
        bucketId: bucket.id,
        name,
        action: 'upload',
        upsert,
        ...(viewer.authId ? { owner: viewer.authId } : {}),
      } as const;
      const token = await signer.sign(grant, 7200);
      return {
        url: `/api/storage/object/upload/sign/${encodeURIComponent(bucket.name)}/${encodePath(name)}?token=${token}`,
        token,
      };
    },

    /** Checks a signed URL's token against the bucket and name it is used for. */
    async grant(
      token: string,
      bucketName: string,
      name: string,
      action: SignedGrant['action'],
    ): Promise<SignedGrant> {
      const grant = await signer.verify(token);
      const bucket = await store.findBucket(db, bucketName);
      if (!grant || !bucket || grant.bucketId !== bucket.id || grant.name !== name || grant.action !== action)
        throw errors.badRequest('Invalid or expired signature.');
      return grant;
    },

    /** Download through a checked signed URL. */
    async downloadSigned(bucketName: string, name: string): Promise<ServedObject> {
      const bucket = await bucketFor(bucketName);
      const object = await store.findObject(db, bucket.id, name);
      if (!object) throw new NotFoundError('Object not found.');
      return access.served(bucket, object);
    },

    /** Upload through a checked signed URL (the rules were checked when it was signed). */
    async uploadSigned(
      bucketName: string,
      name: string,
      body: Readable,
      grant: SignedGrant,
      contentType?: string,
    ) {
      const bucket = await bucketFor(bucketName);
      const viewer: Viewer = { superuser: false, ...(grant.owner ? { authId: grant.owner } : {}) };
      return put(bucket, name, body, { contentType, upsert: grant.upsert ?? false, viewer, signed: true });
    },

    /**
     * A transformed image of an object the viewer may see, made once and cached; at most
     * `limits.transformVariants` variants per image stay cached (one is evicted for a new one).
     */
    async transform(
      bucketName: string,
      name: string,
      t: ImageTransform,
      viewer: Viewer,
    ): Promise<ServedObject> {
      const bucket = await bucketFor(bucketName);
      const object = await visibleObject(bucket, name, viewer);
      if (!TRANSFORMABLE.has(object.mimeType))
        throw new BadRequestError(`Objects of type "${object.mimeType}" cannot be transformed.`);
      const key = `${access.transformsPrefix(bucket.id, object.id)}${transformName(t)}`;
      let stat = await blobs.stat(key);
      if (!stat) {
        const cached = await blobs.list(access.transformsPrefix(bucket.id, object.id));
        for (const old of cached.slice(0, Math.max(0, cached.length - limits.transformVariants + 1)))
          await blobs.delete(old);
        const out = await transformImage(await blobs.read(blobKey(bucket.id, object.id)), object.mimeType, t);
        await blobs.put(key, Readable.from([out.data]), { contentType: out.contentType });
        stat = await blobs.stat(key);
        if (!stat) throw new NotFoundError('Object not found.');
      }
      return { object, key, info: stat };
    },
  };
}

/** Percent-encodes each segment of an object name, keeping the slashes. */
export function encodePath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export type StorageService = ReturnType<typeof createStorageService>;
