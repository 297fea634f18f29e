import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { peekClaims, signFileToken, verifyRecordToken } from '../auth/tokens.ts';
import { ApiError, NotFoundError, UnauthorizedError } from '../errors/api-error.ts';
import { errors } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import { newRecordId } from '../records/record-files.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { FieldModel } from '../schema/field.ts';
import { fileMaxSelect, fileMaxSize, tooManyFiles } from '../schema/fields/file.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { type BlobInfo, type BlobStore, isValidKey } from '../storage/blob-store.ts';
import { recordFileKey, thumbKey } from '../storage/record-keys.ts';
import { makeThumb, THUMB_SOURCE_TYPES } from '../storage/thumbs.ts';
import { createUploadReceiver, type UploadReceiver } from '../storage/upload-receiver.ts';
import type { Clock } from '../tools/clock.ts';

/** PocketBase always allows this thumb size, listed or not. */
const DEFAULT_THUMBS = ['100x100'];
const BATCH_FILE_KEY = /^requests(?:\.(\d+)\.|\[(\d+)\]\.)(.+)$/;

/** A blob chosen for download: its key, the name to serve it as, and its metadata. */
export interface ServedFile {
  key: string;
  name: string;
  info: BlobInfo;
}

export type FileService = ReturnType<typeof createFileService>;

function stripModifiers(key: string): string {
  return key.replace(/^\+/, '').replace(/[+-]$/, '');
}

function fileNames(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
}

/**
 * Record files seen from outside: receiving uploads for a request, choosing the blob a
 * download serves (protected fields, thumbs made once and kept in the store), and file
 * tokens. Follows PocketBase's apis/file.go.
 */
export function createFileService(deps: {
  blobs: BlobStore;
  collections: CollectionService;
  records: RecordService;
  logger: Logger;
  /** File tokens expire by it. */
  clock: Clock;
}) {
  const { blobs, collections, records, logger, clock } = deps;
  const inFlight = new Map<string, Promise<void>>();
  // like PocketBase: at most CPUs + 2 thumbs at once (each holds its original in memory)
  const maxThumbJobs = availableParallelism() + 2;
  let thumbJobs = 0;
  const waiting: (() => void)[] = [];
  async function limited(run: () => Promise<void>): Promise<void> {
    while (thumbJobs >= maxThumbJobs) await new Promise<void>((resolve) => waiting.push(resolve));
    thumbJobs += 1;
    try {
      await run();
    } finally {
      thumbJobs -= 1;
      waiting.shift()?.();
    }
  }

  /** The viewer a `?token=` file token stands for; anonymous when it is not a valid one. */
  async function viewerFromFileToken(token: string): Promise<Viewer> {
    const anonymous: Viewer = { superuser: false };
    const claims = peekClaims(token);
    if (claims?.type !== 'file' || typeof claims.id !== 'string' || typeof claims.collectionId !== 'string')
      return anonymous;
    const c = collections.find(claims.collectionId);
    if (c?.type !== 'auth') return anonymous;
    const record = await records.findById(c, claims.id);
    if (!record || !verifyRecordToken(clock, token, c, record, 'file')) return anonymous;
    const auth = { collection: c, record };
    return {
      superuser: c.name === SUPERUSERS,
      authId: String(record.id),
      authCollectionId: c.id,
      auth,
      request: { method: 'GET', query: {}, headers: {}, body: {}, context: 'protectedFile', auth },
    };
  }

  async function createThumbOnce(c: Collection, id: string, filename: string, size: string, key: string) {
    let job = inFlight.get(key);
    if (!job) {
      job = limited(async () => {
        const original = await blobs.read(recordFileKey(c.id, id, filename));
        const chunks: Buffer[] = [];
        for await (const chunk of original) chunks.push(Buffer.from(chunk as Uint8Array));
        const info = await blobs.stat(recordFileKey(c.id, id, filename));
        const thumb = await makeThumb(Buffer.concat(chunks), size, info?.contentType ?? '');
        await blobs.put(key, Readable.from([thumb.data]), { contentType: thumb.contentType });
      }).finally(() => inFlight.delete(key));
      inFlight.set(key, job);
    }
    await job;
  }

  return {
    blobs,
    viewerFromFileToken,

    /**
     * A receiver for an update of record `recordId` of collection `c`, or for a create
     * (`recordId` undefined): then files go to the folder of a fresh id, which the record
     * takes unless the body names its own id (then they are moved).
     */
    recordReceiver(c: Collection, recordId?: string): UploadReceiver {
      const field = (key: string) =>
        c.fields.find((f) => f.name === stripModifiers(key) && f.type === 'file');
      const id = recordId ?? newRecordId(c);
      const dir = isValidKey(`${c.id}/${id}`) ? `${c.id}/${id}` : undefined;
      return createUploadReceiver(blobs, {
        accept: (key) => field(key) !== undefined,
        // more new files than the field holds can never validate: refuse them unread
        admit: (key, count) => {
          const f = field(key) as FieldModel;
          if (count > fileMaxSelect(f))
            throw errors.invalid('An error occurred while validating the submitted data.', {
              [f.name]: tooManyFiles(f),
            });
        },
        limit: (key) => fileMaxSize(field(key) as FieldModel),
        ...(dir ? { dir: () => dir } : {}),
      });
    },

    /**
     * A receiver for `POST /api/batch`: files come as `requests.N.field` (or
     * `requests[N].field`) before the JSON says which collection they belong to, so they
     * are staged and held to the body limit; the field's own limits apply at validation.
     */
    batchReceiver(bodyLimit: number): UploadReceiver {
      return createUploadReceiver(blobs, {
        accept: (key) => BATCH_FILE_KEY.test(key),
        limit: () => bodyLimit,
      });
    },

    /** Splits `requests.N.field` into its request index and field key. */
    batchFileKey(key: string): { index: number; field: string } | undefined {
      const m = BATCH_FILE_KEY.exec(key);
      return m ? { index: Number(m[1] ?? m[2]), field: m[3]! } : undefined;
    },

    /** `POST /api/files/token`: a short-lived token for protected files. */
    async fileToken(viewer: Viewer): Promise<{ token: string }> {
      if (!viewer.auth) throw new UnauthorizedError('The request requires valid record authorization token.');
      return { token: await signFileToken(clock, viewer.auth.collection, viewer.auth.record) };
    },

    /**
     * Chooses what `GET /api/files/:collection/:recordId/:filename` serves. 404 for an
     * unknown collection, record or name, and for a protected file the token's viewer may
     * not view. A listed thumb size of an image serves its thumb (made on first use); any
     * other size, or a failed thumb, serves the original, like PocketBase.
     */
    async open(
      collection: string,
      recordId: string,
      filename: string,
      query: { thumb?: string | undefined; token?: string | undefined },
    ): Promise<ServedFile> {
      const c = collections.find(collection);
      if (!c || c.type === 'view' || !isValidKey(`${c.id}/${recordId}/${filename}`))
        throw new NotFoundError();
      const record: RecordValues | undefined = await records.findById(c, recordId);
      if (!record) throw new NotFoundError();
      const field = c.fields.find((f) => f.type === 'file' && fileNames(record[f.name]).includes(filename));
      if (!field) throw new NotFoundError();
      if (field.protected) {
        const viewer = await viewerFromFileToken(query.token ?? '');
        try {
          await records.view(c.id, recordId, viewer);
        } catch (e) {
          if (e instanceof ApiError) throw new NotFoundError();
          throw e;
        }
      }
      const originalKey = recordFileKey(c.id, recordId, filename);
      const original = await blobs.stat(originalKey);
      if (!original) throw new NotFoundError();
      const size = query.thumb ?? '';
      const thumbs = (field.thumbs as string[] | null) ?? [];
      if (size && (DEFAULT_THUMBS.includes(size) || thumbs.includes(size))) {
        if (THUMB_SOURCE_TYPES.includes(original.contentType)) {
          const key = thumbKey(c.id, recordId, filename, size);
          try {
            let info = await blobs.stat(key);
            if (!info) {
              await createThumbOnce(c, recordId, filename, size, key);
              info = await blobs.stat(key);
            }
            if (info) return { key, name: `${size}_${filename}`, info };
          } catch (err) {
            logger.warn({ err, key }, 'thumb failed, serving the original');
          }
        }
      }
      return { key: originalKey, name: filename, info: original };
    },
  };
}
