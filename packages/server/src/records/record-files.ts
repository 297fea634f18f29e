import { ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { isUploadedFile, type UploadedFile } from '../schema/uploaded-file.ts';
import { type BlobStore, isValidKey } from '../storage/blob-store.ts';
import { recordDir, recordFileKey, thumbsPrefix } from '../storage/record-keys.ts';
import { randomFromPattern } from '../tools/pattern.ts';

/** What the record write path needs from blob storage. */
export interface RecordFiles {
  /** Makes sure a create body with uploads carries its id, so the files can sit beside the record. */
  assignId(c: Collection, body: Record<string, unknown>): Record<string, unknown>;
  /** Moves the body's uploads into the record's folder (before the write transaction). */
  place(c: Collection, recordId: string, body: Record<string, unknown>): Promise<void>;
  /** After commit: deletes the files (and their thumbs) an update dropped. */
  afterUpdate(c: Collection, previous: RecordValues, next: RecordValues): void;
  /** After commit: deletes every file of a deleted record. */
  afterDelete(c: Collection, values: RecordValues): void;
  /** Resolves once the cleanups started so far are done (a write answers after its cleanup). */
  idle(): Promise<void>;
}

/** A fresh id from the collection's id pattern (for a record whose files arrive first). */
export function newRecordId(c: Collection): string {
  const pattern = c.fields.find((f) => f.name === 'id')?.autogeneratePattern;
  return randomFromPattern(typeof pattern === 'string' && pattern ? pattern : '[a-z0-9]{15}');
}

/** The uploads a body carries, under any key. */
export function uploadsIn(body: Record<string, unknown>): UploadedFile[] {
  const out: UploadedFile[] = [];
  for (const v of Object.values(body)) {
    for (const item of Array.isArray(v) ? v : [v]) if (isUploadedFile(item)) out.push(item);
  }
  return out;
}

function fileNames(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
}

/**
 * Record files in the blob store. Uploads are in the store before the write transaction
 * (the HTTP layer deletes them if the request fails); files a committed change dropped are
 * deleted after commit, so a rolled-back change never loses a file. A failed cleanup
 * leaves an orphan blob, logged, never a broken record.
 */
export function createRecordFiles({ blobs, logger }: { blobs: BlobStore; logger: Logger }): RecordFiles {
  const hasFiles = (c: Collection) => c.fields.some((f) => f.type === 'file');
  const pending = new Set<Promise<void>>();
  const cleanup = (what: string, run: () => Promise<void>) => {
    const p = run()
      .catch((err: unknown) => logger.error({ err }, `deleting ${what} failed`))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  return {
    async idle() {
      // after-commit callbacks run as microtasks, possibly after the write's caller resumes
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([...pending]);
    },

    assignId(c, body) {
      if (typeof body.id === 'string' && body.id !== '') return body;
      const uploads = uploadsIn(body);
      if (uploads.length === 0) return body;
      // uploads streamed straight into a fresh record folder name the record's id
      const dirs = new Set(uploads.map((u) => u.key.slice(0, u.key.lastIndexOf('/'))));
      const [dir] = dirs;
      const m = dirs.size === 1 && dir ? /^([^/]+)\/([^/]+)$/.exec(dir) : null;
      if (m && m[1] === c.id) return { ...body, id: m[2] };
      return { ...body, id: newRecordId(c) };
    },

    async place(c, recordId, body) {
      const uploads = uploadsIn(body).filter((u) => u.key);
      if (uploads.length === 0) return;
      if (!isValidKey(`${c.id}/${recordId}`)) {
        throw new ValidationError('Failed to create record.', {
          id: fieldError(FieldCode.invalidFormat, 'Invalid value format.'),
        });
      }
      recordDir(c.id, recordId);
      for (const u of uploads) {
        const target = recordFileKey(c.id, recordId, u.name);
        if (u.key === target) continue;
        await blobs.move(u.key, target);
        u.key = target;
      }
    },

    afterUpdate(c, previous, next) {
      if (!hasFiles(c)) return;
      const id = String(next.id);
      const dropped: string[] = [];
      for (const f of c.fields) {
        if (f.type !== 'file') continue;
        const kept = new Set(fileNames(next[f.name]));
        for (const n of fileNames(previous[f.name])) if (!kept.has(n)) dropped.push(n);
      }
      if (dropped.length === 0) return;
      cleanup(`replaced files of ${c.name}/${id}`, async () => {
        for (const n of dropped) {
          if (!isValidKey(`${c.id}/${id}/${n}`)) continue;
          await blobs.delete(recordFileKey(c.id, id, n));
          await blobs.deletePrefix(thumbsPrefix(c.id, id, n));
        }
      });
    },

    afterDelete(c, values) {
      if (!hasFiles(c)) return;
      const id = String(values.id);
      if (!isValidKey(`${c.id}/${id}`)) return;
      cleanup(`files of deleted ${c.name}/${id}`, () => blobs.deletePrefix(`${recordDir(c.id, id)}/`));
    },
  };
}
