import type { RawBuilder } from 'kysely';
import type { Database, Executor } from '../db/database.ts';
import type { FilterDialect } from '../db/filter-dialect.ts';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { tableAsCollection } from '../schema/collection.ts';
import type { Bucket } from './bucket-model.ts';

/** One stored object's row in `_objects`. */
export interface ObjectRow {
  id: string;
  bucket: string;
  name: string;
  size: number;
  mimeType: string;
  etag: string;
  owner: string;
  metadata: Record<string, unknown>;
  created: string;
  updated: string;
}

/**
 * `_objects` seen as a collection, so bucket rules compile with the filter language:
 * `name`, `size`, `mimeType`, `owner`, `metadata.*`, `created`, `updated`, and `@request.auth.*`.
 */
export const OBJECTS_COLLECTION: Collection = tableAsCollection('_objects', [
  { name: 'id', type: 'text' },
  { name: 'bucket', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'size', type: 'number' },
  { name: 'mimeType', type: 'text' },
  { name: 'owner', type: 'text' },
  { name: 'metadata', type: 'json' },
  { name: 'created', type: 'date' },
  { name: 'updated', type: 'date' },
]);

function decodeBucket(row: Record<string, unknown>, f: FilterDialect): Bucket {
  return {
    id: String(row.id),
    name: String(row.name),
    public: f.decodeBool(row.public),
    allowedMimeTypes: JSON.parse(String(row.allowedMimeTypes ?? '[]')) as string[],
    maxSize: Number(row.maxSize ?? 0),
    listRule: (row.listRule as string | null) ?? null,
    viewRule: (row.viewRule as string | null) ?? null,
    createRule: (row.createRule as string | null) ?? null,
    updateRule: (row.updateRule as string | null) ?? null,
    deleteRule: (row.deleteRule as string | null) ?? null,
    created: String(row.created),
    updated: String(row.updated),
  };
}

function decodeObject(row: Record<string, unknown>): ObjectRow {
  return {
    id: String(row.id),
    bucket: String(row.bucket),
    name: String(row.name),
    size: Number(row.size),
    mimeType: String(row.mimeType),
    etag: String(row.etag),
    owner: String(row.owner ?? ''),
    metadata: JSON.parse(String(row.metadata ?? '{}')) as Record<string, unknown>,
    created: String(row.created),
    updated: String(row.updated),
  };
}

/** The escape-free upper bound of names starting with `prefix` (binary order). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10ffff}`;
}

/** Reads and writes `_buckets` and `_objects` (SQL through Kysely, on either dialect). */
export function createBucketStore(db: Database) {
  const qb = db.sys;
  const bucketRow = (b: Bucket) => ({
    ...b,
    public: db.filter.bool(b.public),
    allowedMimeTypes: JSON.stringify(b.allowedMimeTypes),
  });
  const objectRow = (o: ObjectRow) => ({ ...o, metadata: JSON.stringify(o.metadata) });

  return {
    async listBuckets(): Promise<Bucket[]> {
      return (await db.all(qb.selectFrom('_buckets').selectAll().orderBy('name'))).map((r) =>
        decodeBucket(r, db.filter),
      );
    },
    async findBucket(ex: Executor, nameOrId: string): Promise<Bucket | undefined> {
      const row = await ex.first(
        qb
          .selectFrom('_buckets')
          .selectAll()
          .where((e) => e.or([e('name', '=', nameOrId), e('id', '=', nameOrId)])),
      );
      return row ? decodeBucket(row, db.filter) : undefined;
    },
    async insertBucket(ex: Executor, b: Bucket): Promise<void> {
      await ex.run(qb.insertInto('_buckets').values(bucketRow(b)));
    },
    async updateBucket(ex: Executor, b: Bucket): Promise<void> {
      await ex.run(qb.updateTable('_buckets').set(bucketRow(b)).where('id', '=', b.id));
    },
    async deleteBucket(ex: Executor, id: string): Promise<void> {
      await ex.run(qb.deleteFrom('_buckets').where('id', '=', id));
    },
    async countObjects(ex: Executor, bucketId: string): Promise<number> {
      const row = await ex.first<{ n: number }>(
        qb
          .selectFrom('_objects')
          .select((e) => e.fn.countAll().as('n'))
          .where('bucket', '=', bucketId),
      );
      return Number(row?.n ?? 0);
    },
    async findObject(
      ex: Executor,
      bucketId: string,
      name: string,
      where?: RawBuilder<boolean>,
    ): Promise<ObjectRow | undefined> {
      let q = qb.selectFrom('_objects').selectAll().where('bucket', '=', bucketId).where('name', '=', name);
      if (where) q = q.where(where);
      const row = await ex.first(q);
      return row ? decodeObject(row) : undefined;
    },
    /** Whether the object with this id meets a condition (a rule), read inside `ex`. */
    async objectMatches(ex: Executor, id: string, where: RawBuilder<boolean>): Promise<boolean> {
      const row = await ex.first(qb.selectFrom('_objects').select('id').where('id', '=', id).where(where));
      return row !== undefined;
    },
    /**
     * Objects of a bucket in name order, from `after` (exclusive) or `from` (inclusive),
     * under `prefix`, matching `where`.
     */
    async listObjects(
      ex: Executor,
      bucketId: string,
      opts: {
        prefix?: string;
        after?: string;
        from?: string;
        limit: number;
        offset?: number;
        where?: RawBuilder<boolean>;
        search?: string;
        sortBy?: 'name' | 'created' | 'updated' | 'size';
        desc?: boolean;
      },
    ): Promise<ObjectRow[]> {
      let q = qb.selectFrom('_objects').selectAll().where('bucket', '=', bucketId);
      if (opts.prefix) q = q.where('name', '>=', opts.prefix).where('name', '<', prefixEnd(opts.prefix));
      if (opts.after !== undefined) q = q.where('name', '>', opts.after);
      if (opts.from !== undefined) q = q.where('name', '>=', opts.from);
      if (opts.search) {
        const pattern = `%${db.filter.likeEscape(opts.search)}%`;
        q = q.where(db.filter.like(sql.ref('name'), sql`${pattern}`, false));
      }
      if (opts.where) q = q.where(opts.where);
      const sort = opts.sortBy ?? 'name';
      q = q.orderBy(sort, opts.desc ? 'desc' : 'asc');
      if (sort !== 'name') q = q.orderBy('name', 'asc');
      q = q.limit(opts.limit).offset(opts.offset ?? 0);
      return (await ex.all(q)).map(decodeObject);
    },
    async insertObject(ex: Executor, o: ObjectRow): Promise<void> {
      await ex.run(qb.insertInto('_objects').values(objectRow(o)));
    },
    async replaceObject(ex: Executor, oldId: string, o: ObjectRow): Promise<void> {
      await ex.run(qb.deleteFrom('_objects').where('id', '=', oldId));
      await ex.run(qb.insertInto('_objects').values(objectRow(o)));
    },
    async renameObject(
      ex: Executor,
      id: string,
      bucketId: string,
      name: string,
      updated: string,
    ): Promise<void> {
      await ex.run(qb.updateTable('_objects').set({ bucket: bucketId, name, updated }).where('id', '=', id));
    },
    async deleteObjects(ex: Executor, ids: string[]): Promise<void> {
      if (ids.length > 0) await ex.run(qb.deleteFrom('_objects').where('id', 'in', ids));
    },
  };
}

export type BucketStore = ReturnType<typeof createBucketStore>;
