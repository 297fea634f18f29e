import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Database } from '../db/database.ts';
import { BadRequestError, NotFoundError } from '../errors/api-error.ts';
import { ErrorCode, errors } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { BlobStore } from './blob-store.ts';
import type { ObjectRow } from './bucket-store.ts';
import type { StorageService } from './storage-service.ts';
import { ChecksumMismatchError, ChunkReceiver, type ExpectedChecksum } from './tus-protocol.ts';
import { createTusStore, type TusUpload } from './tus-store.ts';

/** What a PATCH (or a creation with data) ended with. */
export interface TusPatchResult {
  upload: TusUpload;
  /** The written object, when this PATCH brought the last byte. */
  object?: ObjectRow;
}

const LOCK_MS = 5 * 60_000;
const LOCK_REFRESH_MS = 60_000;
/** A PATCH that sends nothing for this long is treated as dropped (its bytes are kept). */
const IDLE_MS = 60_000;
/** 423 while another request holds the upload's lock (tus: the client retries later). */
const uploadLocked = () => errors.locked('Another request is writing to this upload.');
const chunkPrefix = (id: string) => `_tus/${id}/`;
// zero-padded so the blob store's sorted listing is the byte order
const chunkKey = (id: string, offset: number) => `${chunkPrefix(id)}${String(offset).padStart(16, '0')}`;

/**
 * Resumable uploads (tus 1.0) into storage buckets. The state lives in `_tus_uploads` and
 * each PATCH's bytes in their own blob (`_tus/<id>/<offset>`), so any node sharing the
 * database and blob store can continue an upload. Rules and the bucket's size limit are
 * checked at creation; the last byte streams the chunks through `storage.upload` (rules,
 * sniffing and limits apply again) and removes them.
 */
export function createTusService(deps: {
  db: Database;
  blobs: BlobStore;
  storage: StorageService;
  logger: Logger;
  /** How long an upload may stay unfinished (default 24 hours). */
  expiresInMs?: number;
  /** The largest upload accepted, whatever the bucket (Tus-Max-Size). */
  maxSize?: number;
}) {
  const { blobs, storage, logger } = deps;
  const store = createTusStore(deps.db);
  const expiresInMs = deps.expiresInMs ?? 24 * 3600_000;
  const maxSize = deps.maxSize ?? 1024 ** 4;
  const iso = (ms: number) => new Date(ms).toISOString();

  async function discard(id: string): Promise<void> {
    await blobs.deletePrefix(chunkPrefix(id));
    await store.remove(id);
  }

  /** Removes a few expired uploads (run on each creation, and all of them by the `__fbTusCleanup__` cron). */
  function sweep(): void {
    store
      .expired(iso(Date.now()), 20)
      .then((ids) => Promise.all(ids.map(discard)))
      .catch((err: unknown) => logger.error({ err }, 'removing expired tus uploads failed'));
  }

  /** Removes every expired upload (its chunks and row); returns how many. */
  async function sweepExpired(): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = await store.expired(iso(Date.now()), 100);
      if (ids.length === 0) return removed;
      for (const id of ids) await discard(id);
      removed += ids.length;
    }
  }

  /** The upload if this viewer may touch it: 404 for others, 410 once expired. */
  async function uploadFor(id: string, viewer: Viewer): Promise<TusUpload> {
    const u = await store.find(id);
    if (!u || (u.owner !== '' && u.owner !== viewer.authId)) throw new NotFoundError('Upload not found.');
    if (u.expires < iso(Date.now())) {
      await discard(id);
      throw errors.gone('The upload has expired.');
    }
    return u;
  }

  /** Streams the stored chunks, in order, into the object. */
  async function assemble(u: TusUpload, viewer: Viewer): Promise<ObjectRow> {
    const keys = await blobs.list(chunkPrefix(u.id));
    async function* bytes() {
      for (const key of keys) yield* await blobs.read(key);
    }
    return storage.upload(u.bucket, u.name, Readable.from(bytes(), { objectMode: false }), {
      contentType: u.contentType || undefined,
      upsert: u.upsert,
      viewer,
    });
  }

  async function patch(
    u: TusUpload,
    offset: number,
    body: Readable,
    checksum: ExpectedChecksum | undefined,
    viewer: Viewer,
  ): Promise<TusPatchResult> {
    if (u.done || offset !== u.offset)
      throw errors.conflict(
        `Upload-Offset must be ${u.done ? u.length : u.offset}.`,
        ErrorCode.uploadConflict,
      );
    const token = randomUUID();
    if (!(await store.lock(u.id, offset, token, iso(Date.now() + LOCK_MS), iso(Date.now())))) {
      const now = await store.find(u.id);
      if (!now) throw new NotFoundError('Upload not found.');
      if (now.offset !== offset || now.done)
        throw errors.conflict(`Upload-Offset must be ${now.offset}.`, ErrorCode.uploadConflict);
      throw uploadLocked();
    }
    let committed = false;
    try {
      let refreshed = Date.now();
      const receiver = new ChunkReceiver(u.length - offset, checksum?.algorithm, () => {
        if (Date.now() - refreshed < LOCK_REFRESH_MS) return;
        refreshed = Date.now();
        store
          .refreshLock(u.id, token, iso(refreshed + LOCK_MS))
          .catch((err: unknown) => logger.error({ err, upload: u.id }, 'refreshing a tus lock failed'));
      }).from(body, IDLE_MS);
      const key = chunkKey(u.id, offset);
      await blobs.put(key, receiver, { contentType: 'application/octet-stream' });
      if (receiver.size === 0 || (checksum && !receiver.matches(checksum))) {
        await blobs.delete(key);
        if (receiver.size > 0) throw new ChecksumMismatchError();
      }
      const next = offset + receiver.size;
      if (next < u.length) {
        if (receiver.size === 0) return { upload: u };
        if (!(await store.commit(u.id, token, next, false))) {
          await blobs.delete(key);
          throw new NotFoundError('Upload not found.');
        }
        committed = true;
        return { upload: { ...u, offset: next } };
      }
      let object: ObjectRow;
      try {
        object = await assemble(u, viewer);
      } catch (e) {
        // the object cannot be written (rules, type, size): the upload is over
        committed = true;
        await discard(u.id);
        throw e;
      }
      committed = true;
      await store.commit(u.id, token, next, true);
      blobs
        .deletePrefix(chunkPrefix(u.id))
        .catch((err: unknown) => logger.error({ err, upload: u.id }, 'removing tus chunks failed'));
      return { upload: { ...u, offset: next, done: true }, object };
    } finally {
      if (!committed)
        await store
          .unlock(u.id, token)
          .catch((err: unknown) => logger.error({ err, upload: u.id }, 'unlocking a tus upload failed'));
    }
  }

  return {
    sweepExpired,
    maxSize,

    /**
     * Starts an upload after checking the bucket's rules and size limit (no bytes yet);
     * `body` (creation-with-upload) is the first PATCH.
     */
    async create(input: {
      length: number;
      metadata: Record<string, string>;
      upsert: boolean;
      viewer: Viewer;
      body?: Readable | undefined;
      checksum?: ExpectedChecksum | undefined;
    }): Promise<TusPatchResult> {
      const { bucketName, objectName, contentType, cacheControl } = input.metadata;
      if (!bucketName || !objectName)
        throw new BadRequestError('Upload-Metadata must name the bucketName and objectName.');
      if (input.length > maxSize) throw errors.payloadTooLarge(`Uploads are limited to ${maxSize} bytes.`);
      const bucket = await storage.checkUpload(
        bucketName,
        objectName,
        input.upsert,
        input.viewer,
        input.length,
      );
      sweep();
      const now = Date.now();
      const u: TusUpload = {
        id: randomUUID(),
        bucket: bucket.id,
        name: objectName,
        upsert: input.upsert,
        contentType: contentType ?? '',
        cacheControl: cacheControl ?? '',
        length: input.length,
        offset: 0,
        owner: input.viewer.authId ?? '',
        done: false,
        expires: iso(now + expiresInMs),
        lockedUntil: '',
        created: iso(now),
      };
      await store.insert(u);
      if (input.body || u.length === 0)
        return patch(u, 0, input.body ?? Readable.from([]), input.checksum, input.viewer);
      return { upload: u };
    },

    /**
     * The upload's state (HEAD); 423 while a PATCH is writing, so a resuming client waits
     * for the offset that PATCH ends at instead of sending its bytes to be refused.
     */
    async status(id: string, viewer: Viewer): Promise<TusUpload> {
      const u = await uploadFor(id, viewer);
      if (u.lockedUntil > iso(Date.now())) throw uploadLocked();
      return u;
    },

    /** Appends the request's bytes at `offset` (which must be the current offset: 409). */
    async append(
      id: string,
      offset: number,
      body: Readable,
      checksum: ExpectedChecksum | undefined,
      viewer: Viewer,
    ): Promise<TusPatchResult> {
      return patch(await uploadFor(id, viewer), offset, body, checksum, viewer);
    },

    /** Termination: the upload and its received bytes are removed. */
    async terminate(id: string, viewer: Viewer): Promise<void> {
      await uploadFor(id, viewer);
      await discard(id);
    },
  };
}

export type TusService = ReturnType<typeof createTusService>;
