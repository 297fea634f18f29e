import { randomUUID } from 'node:crypto';
import type { Database, Executor } from '../db/database.ts';
import { ForbiddenError, NotFoundError } from '../errors/api-error.ts';
import type { Logger } from '../observability/logger.ts';
import { VALUES_ALIAS, valuesMatch } from '../rules/match-values.ts';
import { type RuleCondition, ruleCondition } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { nowDate } from '../tools/time.ts';
import type { BlobInfo, BlobStore } from './blob-store.ts';
import type { Bucket } from './bucket-model.ts';
import { createBucketStore, OBJECTS_COLLECTION, type ObjectRow } from './bucket-store.ts';

/** The rules of a bucket, one per operation on its objects. */
export type RuleKey = 'listRule' | 'viewRule' | 'createRule' | 'updateRule' | 'deleteRule';

/** An object ready to be served: where its bytes are and what to send about them. */
export interface ServedObject {
  object: ObjectRow;
  key: string;
  info: BlobInfo;
}

/** What the storage service's parts share. */
export interface ObjectAccessDeps {
  db: Database;
  blobs: BlobStore;
  collections: CollectionService;
  logger: Logger;
}

/** The shared parts, as createObjectAccess returns them. */
export type ObjectAccess = ReturnType<typeof createObjectAccess>;

/**
 * What the parts of the storage service (buckets, objects, signed URLs) share: where a
 * blob lives, which bucket a name means, and whether a bucket's rules let a viewer at an
 * object (stored, or about to be created).
 */
export function createObjectAccess(deps: ObjectAccessDeps) {
  const { db, blobs, logger } = deps;
  const store = createBucketStore(db);
  const ruleDeps = { db, collection: (name: string) => deps.collections.find(name) };
  const blobKey = (bucketId: string, objectId: string) => `_buckets/${bucketId}/${objectId}`;
  const transformsPrefix = (bucketId: string, objectId: string) => `_buckets/${bucketId}/_t/${objectId}/`;

  /** Logs a failed clean-up: the request's own outcome stands, the blob is left behind. */
  const logFailure = (what: string, key: string) => (err: unknown) =>
    logger.error({ err, key }, `${what} failed`);

  const removeBlobs = (objects: ObjectRow[]) => {
    for (const o of objects) {
      Promise.all([
        blobs.delete(blobKey(o.bucket, o.id)),
        blobs.deletePrefix(transformsPrefix(o.bucket, o.id)),
      ]).catch((err: unknown) => logger.error({ err, object: o.id }, 'removing an object blob failed'));
    }
  };

  async function bucketFor(nameOrId: string, ex: Executor = db): Promise<Bucket> {
    const bucket = await store.findBucket(ex, nameOrId);
    if (!bucket) throw new NotFoundError('Bucket not found.');
    return bucket;
  }

  const condition = (bucket: Bucket, key: RuleKey, viewer: Viewer): RuleCondition =>
    ruleCondition(ruleDeps, OBJECTS_COLLECTION, bucket[key], viewer);

  /** Whether object `id` passes a rule, read inside `ex` (so a would-be row can be checked). */
  async function passes(ex: Executor, id: string, c: RuleCondition): Promise<boolean> {
    return c.kind === 'all' || (await store.objectMatches(ex, id, c.sql));
  }

  /** The object if the viewer may see it (public buckets: anyone), else 404. */
  async function visibleObject(bucket: Bucket, name: string, viewer: Viewer, key: RuleKey = 'viewRule') {
    const c =
      bucket.public && key === 'viewRule' ? ({ kind: 'all' } as const) : condition(bucket, key, viewer);
    const object = await store.findObject(db, bucket.id, name, c.kind === 'where' ? c.sql : undefined);
    if (!object) throw new NotFoundError('Object not found.');
    return object;
  }

  async function served(bucket: Bucket, object: ObjectRow): Promise<ServedObject> {
    const key = blobKey(bucket.id, object.id);
    const stat = await blobs.stat(key);
    if (!stat) throw new NotFoundError('Object not found.');
    const info = { ...stat, contentType: object.mimeType, etag: object.etag };
    return { object, key, info };
  }

  /**
   * Refuses (403) when the createRule would refuse this viewer an object of this name (its
   * size and type unknown yet: 0 and application/octet-stream), judged on the would-be row
   * in memory (rules/match-values.ts), like a stored one.
   */
  async function checkWouldCreate(bucket: Bucket, name: string, viewer: Viewer): Promise<void> {
    const create = ruleCondition(ruleDeps, OBJECTS_COLLECTION, bucket.createRule, viewer, VALUES_ALIAS);
    if (create.kind === 'all') return;
    const now = nowDate();
    const wouldBe: ObjectRow = {
      ...{
        id: randomUUID(),
        bucket: bucket.id,
        name,
        size: 0,
        mimeType: 'application/octet-stream',
        etag: '',
      },
      ...{ owner: viewer.authId ?? '', metadata: {}, created: now, updated: now },
    };
    if (!(await valuesMatch(db, db, OBJECTS_COLLECTION, { ...wouldBe }, [create.sql])))
      throw new ForbiddenError('You are not allowed to upload this object.');
  }

  return {
    db,
    store,
    ruleDeps,
    blobKey,
    transformsPrefix,
    logFailure,
    removeBlobs,
    bucketFor,
    condition,
    passes,
    visibleObject,
    served,
    checkWouldCreate,
  };
}
