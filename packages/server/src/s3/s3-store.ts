import type { Database, Executor } from '../db/database.ts';
import type { FilterDialect } from '../db/filter-dialect.ts';
import { resealRows, type SecretBox } from '../tools/secret-box.ts';

/** One S3 access key (the secret in clear here, sealed in `_s3_keys`: SigV4 verification needs it). */
export interface S3KeyRow {
  id: string;
  name: string;
  accessKeyId: string;
  secret: string;
  /** Bucket names this key may use; empty for every bucket. */
  buckets: string[];
  readOnly: boolean;
  created: string;
  updated: string;
}

/** An unfinished multipart upload. */
export interface UploadRow {
  id: string;
  /** The bucket's id. */
  bucket: string;
  name: string;
  contentType: string;
  /** S3 user metadata (`x-amz-meta-*`) for the object. */
  metadata: Record<string, string>;
  created: string;
}

/** One uploaded part of a multipart upload. */
export interface PartRow {
  upload: string;
  number: number;
  size: number;
  /** Quoted MD5 of the part's bytes. */
  etag: string;
  created: string;
}

const decodeKey = (r: Record<string, unknown>, f: FilterDialect, box: SecretBox): S3KeyRow => ({
  id: String(r.id),
  name: String(r.name ?? ''),
  accessKeyId: String(r.accessKeyId),
  secret: box.open(String(r.secret)),
  buckets: JSON.parse(String(r.buckets ?? '[]')) as string[],
  readOnly: f.decodeBool(r.readOnly),
  created: String(r.created),
  updated: String(r.updated),
});

const decodeUpload = (r: Record<string, unknown>): UploadRow => ({
  id: String(r.id),
  bucket: String(r.bucket),
  name: String(r.name),
  contentType: String(r.contentType ?? ''),
  metadata: JSON.parse(String(r.metadata ?? '{}')) as Record<string, string>,
  created: String(r.created),
});

const decodePart = (r: Record<string, unknown>): PartRow => ({
  upload: String(r.upload),
  number: Number(r.number),
  size: Number(r.size),
  etag: String(r.etag),
  created: String(r.created),
});

/**
 * Reads and writes `_s3_keys`, `_s3_uploads` and `_s3_parts` on either dialect. Key
 * secrets are sealed with `box` in the table and opened when read.
 */
export function createS3Store(db: Database, box: SecretBox) {
  const qb = db.sys;
  return {
    async listKeys(): Promise<S3KeyRow[]> {
      return (await db.all(qb.selectFrom('_s3_keys').selectAll().orderBy('created'))).map((r) =>
        decodeKey(r, db.filter, box),
      );
    },
    async findKey(accessKeyIdOrId: string): Promise<S3KeyRow | undefined> {
      const row = await db.first(
        qb
          .selectFrom('_s3_keys')
          .selectAll()
          .where((e) => e.or([e('accessKeyId', '=', accessKeyIdOrId), e('id', '=', accessKeyIdOrId)])),
      );
      return row ? decodeKey(row, db.filter, box) : undefined;
    },
    async insertKey(k: S3KeyRow): Promise<void> {
      await db.run(
        qb.insertInto('_s3_keys').values({
          ...k,
          secret: box.seal(k.secret),
          buckets: JSON.stringify(k.buckets),
          readOnly: db.filter.bool(k.readOnly),
        }),
      );
    },
    async deleteKey(id: string): Promise<void> {
      await db.run(qb.deleteFrom('_s3_keys').where('id', '=', id));
    },
    /** `_s3_keys` as a store of sealed secrets: re-seals those in clear or under a previous key. */
    secretStore: {
      name: 'the S3 access keys (_s3_keys)',
      async reseal(current: SecretBox): Promise<number> {
        const rows = await db.all<{ id: string; secret: string }>(
          qb.selectFrom('_s3_keys').select(['id', 'secret']),
        );
        return resealRows(
          current,
          rows,
          (r) => r.secret,
          async (r, secret) => {
            await db.run(qb.updateTable('_s3_keys').set({ secret }).where('id', '=', r.id));
          },
        );
      },
    },

    async insertUpload(u: UploadRow): Promise<void> {
      await db.run(qb.insertInto('_s3_uploads').values({ ...u, metadata: JSON.stringify(u.metadata) }));
    },
    async findUpload(id: string): Promise<UploadRow | undefined> {
      const row = await db.first(qb.selectFrom('_s3_uploads').selectAll().where('id', '=', id));
      return row ? decodeUpload(row) : undefined;
    },
    /** Unfinished uploads of a bucket, by name then start time. */
    async listUploads(bucketId: string, prefix: string, limit: number): Promise<UploadRow[]> {
      let q = qb.selectFrom('_s3_uploads').selectAll().where('bucket', '=', bucketId);
      if (prefix) q = q.where('name', '>=', prefix).where('name', '<', `${prefix}\u{10ffff}`);
      return (await db.all(q.orderBy('name').orderBy('created').limit(limit))).map(decodeUpload);
    },
    async deleteUpload(ex: Executor, id: string): Promise<void> {
      await ex.run(qb.deleteFrom('_s3_parts').where('upload', '=', id));
      await ex.run(qb.deleteFrom('_s3_uploads').where('id', '=', id));
    },
    /** Records a part, replacing an earlier upload of the same number. */
    async putPart(p: PartRow): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.run(
          qb.deleteFrom('_s3_parts').where('upload', '=', p.upload).where('number', '=', p.number),
        );
        await tx.run(qb.insertInto('_s3_parts').values({ ...p }));
      });
    },
    /** Parts in number order, after `marker` (exclusive). */
    async listParts(uploadId: string, after = 0, limit = 10_000): Promise<PartRow[]> {
      const q = qb
        .selectFrom('_s3_parts')
        .selectAll()
        .where('upload', '=', uploadId)
        .where('number', '>', after)
        .orderBy('number')
        .limit(limit);
      return (await db.all(q)).map(decodePart);
    },
  };
}

export type S3Store = ReturnType<typeof createS3Store>;
