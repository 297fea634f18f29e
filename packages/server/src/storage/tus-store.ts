import type { Database } from '../db/database.ts';

/** One resumable upload's state (a `_tus_uploads` row). */
export interface TusUpload {
  id: string;
  /** The bucket's id. */
  bucket: string;
  /** The object name the upload becomes. */
  name: string;
  upsert: boolean;
  contentType: string;
  cacheControl: string;
  length: number;
  /** Bytes received and stored so far. */
  offset: number;
  /** The auth record id of the creator ('' for anonymous uploads). */
  owner: string;
  /** The object has been written. */
  done: boolean;
  /** ISO time after which the upload is gone. */
  expires: string;
  /** Until when a PATCH holds the upload ('' when none does). */
  lockedUntil: string;
  created: string;
}

function decode(row: Record<string, unknown>): TusUpload {
  return {
    id: String(row.id),
    bucket: String(row.bucket),
    name: String(row.name),
    upsert: Number(row.upsert) === 1,
    contentType: String(row.contentType ?? ''),
    cacheControl: String(row.cacheControl ?? ''),
    length: Number(row.length),
    offset: Number(row.uploadOffset),
    owner: String(row.owner ?? ''),
    done: Number(row.done) === 1,
    expires: String(row.expires),
    lockedUntil: row.lockToken ? String(row.lockedUntil ?? '') : '',
    created: String(row.created),
  };
}

/**
 * Reads and writes `_tus_uploads`. A PATCH holds the row's lock (a token with an expiry)
 * while it streams, so two nodes never append to the same upload at once.
 */
export function createTusStore(db: Database) {
  const qb = db.sys;
  return {
    async insert(u: TusUpload): Promise<void> {
      const { offset, upsert, done, lockedUntil: _, ...rest } = u;
      await db.run(
        qb
          .insertInto('_tus_uploads')
          .values({ ...rest, uploadOffset: offset, upsert: upsert ? 1 : 0, done: done ? 1 : 0 }),
      );
    },
    async find(id: string): Promise<TusUpload | undefined> {
      const row = await db.first(qb.selectFrom('_tus_uploads').selectAll().where('id', '=', id));
      return row ? decode(row) : undefined;
    },
    /** Takes the lock when the upload is at `offset` and unlocked (or its lock expired). */
    async lock(id: string, offset: number, token: string, until: string, now: string): Promise<boolean> {
      const r = await db.run(
        qb
          .updateTable('_tus_uploads')
          .set({ lockToken: token, lockedUntil: until })
          .where('id', '=', id)
          .where('uploadOffset', '=', offset)
          .where('done', '=', 0)
          .where((e) => e.or([e('lockToken', '=', ''), e('lockedUntil', '<', now)])),
      );
      return r.changes === 1;
    },
    /** Extends a held lock (a long PATCH). */
    async refreshLock(id: string, token: string, until: string): Promise<void> {
      await db.run(
        qb
          .updateTable('_tus_uploads')
          .set({ lockedUntil: until })
          .where('id', '=', id)
          .where('lockToken', '=', token),
      );
    },
    /** Records the new offset (and completion) and releases the lock; false when the lock was lost. */
    async commit(id: string, token: string, offset: number, done: boolean): Promise<boolean> {
      const r = await db.run(
        qb
          .updateTable('_tus_uploads')
          .set({ uploadOffset: offset, done: done ? 1 : 0, lockToken: '', lockedUntil: '' })
          .where('id', '=', id)
          .where('lockToken', '=', token),
      );
      return r.changes === 1;
    },
    async unlock(id: string, token: string): Promise<void> {
      await db.run(
        qb
          .updateTable('_tus_uploads')
          .set({ lockToken: '', lockedUntil: '' })
          .where('id', '=', id)
          .where('lockToken', '=', token),
      );
    },
    async remove(id: string): Promise<void> {
      await db.run(qb.deleteFrom('_tus_uploads').where('id', '=', id));
    },
    /** Ids of uploads expired before `now` (a few at a time, for cleanup). */
    async expired(now: string, limit: number): Promise<string[]> {
      const rows = await db.all<{ id: string }>(
        qb.selectFrom('_tus_uploads').select('id').where('expires', '<', now).limit(limit),
      );
      return rows.map((r) => r.id);
    },
  };
}

export type TusStore = ReturnType<typeof createTusStore>;
