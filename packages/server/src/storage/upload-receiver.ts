import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { UploadedFile } from '../schema/uploaded-file.ts';
import type { BlobStore } from './blob-store.ts';
import { storedFileName } from './file-name.ts';
import { SNIFF_BYTES, sniffContentType } from './sniff.ts';

/** Where uploads wait when their record is not known yet (moved next to the record before the write). */
export const STAGING_PREFIX = '_uploads';

class LimitExceeded extends Error {}

/** Reading the client's part failed (it went away, or the request was malformed). */
class ClientStreamError extends Error {}

/** The blob store failed while an upload was being written: a server fault, not the client's. */
export class UploadStoreError extends Error {
  constructor(cause: unknown) {
    super('storing an upload failed', { cause });
    this.name = 'UploadStoreError';
  }
}

/** Receives the file parts of one request into the blob store, and can undo them all. */
export interface UploadReceiver {
  /**
   * Streams one file part to the store under `<dir>/<stored name>`, cut off past `limit`
   * bytes; a part whose key is not accepted is read and dropped (undefined).
   */
  receive(fieldKey: string, filename: string, stream: Readable): Promise<UploadedFile | undefined>;
  /** Everything received so far. */
  readonly uploads: UploadedFile[];
  /** Deletes every received blob (the request failed). */
  discard(): Promise<void>;
}

/**
 * An upload receiver for one request. `dir` names the folder a field's files go to (the
 * record's own folder when known, else a staging folder); `limit` is the most bytes a
 * field accepts, enforced while streaming (`admit` may refuse a part outright): past it the upload stops, its partial blob is
 * dropped and the rest of the part is read and thrown away.
 */
export function createUploadReceiver(
  blobs: BlobStore,
  opts: {
    accept: (fieldKey: string) => boolean;
    /** Throws to refuse the `count`-th file of a field before any of its bytes are stored. */
    admit?: (fieldKey: string, count: number) => void;
    dir?: (fieldKey: string) => string;
    limit: (fieldKey: string) => number;
  },
): UploadReceiver {
  const uploads: UploadedFile[] = [];
  const counts = new Map<string, number>();
  const staging = `${STAGING_PREFIX}/${randomBytes(10).toString('hex')}`;

  return {
    uploads,
    async receive(fieldKey, filename, stream) {
      if (!opts.accept(fieldKey)) {
        stream.resume();
        return undefined;
      }
      const count = (counts.get(fieldKey) ?? 0) + 1;
      counts.set(fieldKey, count);
      opts.admit?.(fieldKey, count);
      const it = stream[Symbol.asyncIterator]();
      const headChunks: Buffer[] = [];
      let headLength = 0;
      let ended = false;
      while (headLength < SNIFF_BYTES) {
        const r = await it.next();
        if (r.done) {
          ended = true;
          break;
        }
        headChunks.push(r.value);
        headLength += r.value.length;
      }
      const head = Buffer.concat(headChunks);
      const sample = head.subarray(0, SNIFF_BYTES);
      const name = await storedFileName(filename, sample);
      const contentType = await sniffContentType(sample, filename);
      const limit = opts.limit(fieldKey);
      const key = `${opts.dir?.(fieldKey) ?? staging}/${name}`;
      let size = 0;
      async function* body(): AsyncGenerator<Buffer> {
        size += head.length;
        if (size > limit) throw new LimitExceeded();
        if (head.length) yield head;
        if (ended) return;
        const next = () =>
          it.next().catch((e: unknown) => {
            throw new ClientStreamError('reading the upload failed', { cause: e });
          });
        for (let r = await next(); !r.done; r = await next()) {
          size += r.value.length;
          if (size > limit) throw new LimitExceeded();
          yield r.value;
        }
      }
      try {
        await blobs.put(key, Readable.from(body()), { contentType });
      } catch (e) {
        if (!(e instanceof LimitExceeded)) {
          // the client's fault stays a bad request (body.ts); the store's is a server error
          if (e instanceof ClientStreamError) throw e.cause;
          throw new UploadStoreError(e);
        }
        for (let r = await it.next(); !r.done; r = await it.next()) size += r.value.length;
        const file = new UploadedFile({
          name,
          originalName: filename,
          size,
          contentType,
          key: '',
          tooLarge: true,
        });
        uploads.push(file);
        return file;
      }
      const file = new UploadedFile({ name, originalName: filename, size, contentType, key });
      uploads.push(file);
      return file;
    },
    async discard() {
      await Promise.all(uploads.filter((u) => u.key).map((u) => blobs.delete(u.key)));
    },
  };
}
