import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '../errors/api-error.ts';
import { ErrorCode, errors, FieldCode, fieldError } from '../errors/codes.ts';
import { ruleProblem } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import { nowDate } from '../tools/time.ts';
import { type Bucket, parseBucketInput } from './bucket-model.ts';
import { OBJECTS_COLLECTION } from './bucket-store.ts';
import type { ObjectAccess } from './object-access.ts';

/** 400 on `name` for a bucket name in use; `ErrorCode.bucketExists` lets S3 answer BucketAlreadyOwnedByYou. */
const bucketNameTaken = () =>
  errors.invalid(
    'Failed to save the bucket.',
    { name: fieldError(FieldCode.bucketNameExists, 'The bucket name is already in use.') },
    ErrorCode.bucketExists,
  );

/** The superuser's bucket operations: list, read, create, update, delete and empty buckets. */
export function createBucketAdmin(access: ObjectAccess) {
  const { db, store, ruleDeps, bucketFor, removeBlobs } = access;
  const requireSuperuser = (viewer: Viewer) => {
    if (!viewer.superuser) throw new ForbiddenError('Only superusers can manage buckets.');
  };

  return {
    async listBuckets(viewer: Viewer): Promise<Bucket[]> {
      requireSuperuser(viewer);
      return store.listBuckets();
    },
    async getBucket(nameOrId: string, viewer: Viewer): Promise<Bucket> {
      requireSuperuser(viewer);
      return bucketFor(nameOrId);
    },
    async createBucket(body: Record<string, unknown>, viewer: Viewer): Promise<Bucket> {
      requireSuperuser(viewer);
      const input = parseBucketInput(body, undefined, (r) => ruleProblem(ruleDeps, OBJECTS_COLLECTION, r));
      const now = nowDate();
      const bucket: Bucket = {
        id: randomUUID(),
        name: input.name!,
        public: false,
        allowedMimeTypes: [],
        maxSize: 0,
        listRule: null,
        viewRule: null,
        createRule: null,
        updateRule: null,
        deleteRule: null,
        ...input,
        created: now,
        updated: now,
      };
      if (await store.findBucket(db, bucket.name)) throw bucketNameTaken();
      await store.insertBucket(db, bucket);
      return bucket;
    },
    async updateBucket(nameOrId: string, body: Record<string, unknown>, viewer: Viewer): Promise<Bucket> {
      requireSuperuser(viewer);
      const current = await bucketFor(nameOrId);
      const input = parseBucketInput(body, current, (r) => ruleProblem(ruleDeps, OBJECTS_COLLECTION, r));
      if (input.name && input.name !== current.name && (await store.findBucket(db, input.name)))
        throw bucketNameTaken();
      const next: Bucket = { ...current, ...input, updated: nowDate() };
      await store.updateBucket(db, next);
      return next;
    },
    /** Deletes an empty bucket (empty it first). */
    async deleteBucket(nameOrId: string, viewer: Viewer): Promise<void> {
      requireSuperuser(viewer);
      await db.transaction(async (tx) => {
        const bucket = await bucketFor(nameOrId, tx);
        if ((await store.countObjects(tx, bucket.id)) > 0)
          throw errors.conflict('The bucket is not empty: empty it first.', ErrorCode.bucketNotEmpty);
        await store.deleteBucket(tx, bucket.id);
      });
    },
    /** Deletes every object of a bucket. */
    async emptyBucket(nameOrId: string, viewer: Viewer): Promise<number> {
      requireSuperuser(viewer);
      const bucket = await bucketFor(nameOrId);
      let removed = 0;
      for (;;) {
        const batch = await store.listObjects(db, bucket.id, { limit: 500 });
        if (batch.length === 0) return removed;
        await store.deleteObjects(
          db,
          batch.map((o) => o.id),
        );
        removeBlobs(batch);
        removed += batch.length;
      }
    },
  };
}
