import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Database, Executor } from '../db/database.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { checkObjectName } from '../storage/bucket-model.ts';
import type { ObjectRow } from '../storage/bucket-store.ts';
import { meter } from '../storage/object-upload.ts';
import type { StorageService } from '../storage/storage-service.ts';
import { nowDate } from '../tools/time.ts';
import { invalidArgument, noSuchUpload, S3Error } from './s3-error.ts';
import type { PartRow, S3Store, UploadRow } from './s3-store.ts';

/** S3's limits: parts 1 to 10000, each but the last at least 5 MiB, at most 5 GiB. */
export const MAX_PART_NUMBER = 10_000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_SIZE = 5 * 1024 ** 3;

/** A part as CompleteMultipartUpload names it. */
export interface CompletedPart {
  number: number;
  etag: string;
}

const unquote = (etag: string) => etag.trim().replace(/^"|"$/g, '');

/**
 * S3 multipart uploads over ForgeBase buckets: parts are blobs under
 * `_buckets/<bucket id>/_mp/<upload id>/<n>` with rows in `_s3_parts`; completing streams
 * the parts, in order, into one object through the storage service, whose ETag is S3's
 * `"<md5 of the parts' md5s>-<count>"`.
 */
export function createMultipartService(deps: {
  db: Database;
  store: S3Store;
  blobs: BlobStore;
  storage: StorageService;
}) {
  const { db, store, blobs, storage } = deps;
  const prefix = (bucketId: string, uploadId: string) => `_buckets/${bucketId}/_mp/${uploadId}/`;

  async function uploadOf(bucketName: string, name: string, uploadId: string): Promise<UploadRow> {
    const bucket = await storage.bucketFor(bucketName);
    const upload = /^[\w-]{1,64}$/.test(uploadId) ? await store.findUpload(uploadId) : undefined;
    if (!upload || upload.bucket !== bucket.id || upload.name !== name) throw noSuchUpload();
    return upload;
  }

  async function drop(ex: Executor, upload: UploadRow): Promise<void> {
    await store.deleteUpload(ex, upload.id);
    await blobs.deletePrefix(prefix(upload.bucket, upload.id));
  }

  return {
    /** Starts an upload (with the object's type and S3 user metadata); returns its id. */
    async create(
      bucketName: string,
      name: string,
      contentType: string | undefined,
      metadata: Record<string, string> = {},
    ): Promise<string> {
      checkObjectName(name);
      const bucket = await storage.bucketFor(bucketName);
      const id = randomUUID();
      await store.insertUpload({
        id,
        bucket: bucket.id,
        name,
        contentType: contentType ?? '',
        metadata,
        created: nowDate(),
      });
      return id;
    },

    /** Streams one part to its blob; returns its quoted MD5 ETag. */
    async uploadPart(
      bucketName: string,
      name: string,
      uploadId: string,
      partNumber: number,
      body: Readable,
    ): Promise<string> {
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER)
        throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive.');
      const upload = await uploadOf(bucketName, name, uploadId);
      const m = meter(body, MAX_PART_SIZE);
      await blobs.put(`${prefix(upload.bucket, upload.id)}${partNumber}`, m, {
        contentType: 'application/octet-stream',
      });
      const etag = m.etag();
      await store.putPart({ upload: upload.id, number: partNumber, size: m.size, etag, created: nowDate() });
      return etag;
    },

    /** Assembles the named parts into the object (replacing one of that name). */
    async complete(
      bucketName: string,
      name: string,
      uploadId: string,
      parts: CompletedPart[],
      viewer: Viewer,
    ): Promise<ObjectRow> {
      const upload = await uploadOf(bucketName, name, uploadId);
      if (parts.length === 0) throw new S3Error(400, 'MalformedXML', 'You must specify at least one part.');
      const stored = new Map((await store.listParts(upload.id)).map((p) => [p.number, p]));
      const chosen: PartRow[] = [];
      parts.forEach((p, i) => {
        if (i > 0 && p.number <= parts[i - 1]!.number)
          throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
        const part = stored.get(p.number);
        if (!part || unquote(part.etag) !== unquote(p.etag))
          throw new S3Error(
            400,
            'InvalidPart',
            "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          );
        chosen.push(part);
      });
      chosen.forEach((part, i) => {
        if (i < chosen.length - 1 && part.size < MIN_PART_SIZE)
          throw new S3Error(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed object size.',
          );
      });
      const md5s = createHash('md5');
      for (const part of chosen) md5s.update(Buffer.from(unquote(part.etag), 'hex'));
      const etag = `"${md5s.digest('hex')}-${chosen.length}"`;
      const base = prefix(upload.bucket, upload.id);
      const body = Readable.from(
        (async function* () {
          for (const part of chosen) yield* await blobs.read(`${base}${part.number}`);
        })(),
      );
      const row = await storage.upload(bucketName, name, body, {
        contentType: upload.contentType || undefined,
        metadata: upload.metadata,
        upsert: true,
        viewer,
        etag,
      });
      await db.transaction((tx) => drop(tx, upload));
      return row;
    },

    /** Drops an upload and its parts. */
    async abort(bucketName: string, name: string, uploadId: string): Promise<void> {
      const upload = await uploadOf(bucketName, name, uploadId);
      await db.transaction((tx) => drop(tx, upload));
    },

    /** Drops every unfinished upload of a bucket (when the bucket is deleted). */
    async abortAll(bucketId: string): Promise<void> {
      for (;;) {
        const batch = await store.listUploads(bucketId, '', 100);
        if (batch.length === 0) return;
        for (const upload of batch) await db.transaction((tx) => drop(tx, upload));
      }
    },

    /** The parts uploaded so far, after part `marker`, at most `max`. */
    async listParts(bucketName: string, name: string, uploadId: string, marker: number, max: number) {
      const upload = await uploadOf(bucketName, name, uploadId);
      const rows = await store.listParts(upload.id, marker, max + 1);
      return { upload, parts: rows.slice(0, max), truncated: rows.length > max };
    },

    /** Unfinished uploads of a bucket (at most `max`). */
    async listUploads(bucketName: string, namePrefix: string, max: number) {
      const bucket = await storage.bucketFor(bucketName);
      const rows = await store.listUploads(bucket.id, namePrefix, max + 1);
      return { uploads: rows.slice(0, max), truncated: rows.length > max };
    },
  };
}

export type MultipartService = ReturnType<typeof createMultipartService>;
