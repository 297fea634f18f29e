import type { RawBuilder } from 'kysely';
import type { Executor } from '../db/database.ts';
import { BadRequestError } from '../errors/api-error.ts';
import { type BucketStore, type ObjectRow, prefixEnd } from './bucket-store.ts';

export const MAX_LIST = 1000;
const MAX_OFFSET = 100_000;

/** How to list a bucket: S3's prefix/delimiter/start-after, plus paging and sorting. */
export interface ListOptions {
  prefix?: string;
  /** Groups names by what follows the prefix up to this string (`/`: folders). */
  delimiter?: string;
  /** Names after this one only (S3's StartAfter / continuation). */
  after?: string;
  /** Entries (objects and folders) to skip first. */
  offset?: number;
  limit?: number;
  /** Case-insensitive substring of the name. */
  search?: string;
  sortBy?: 'name' | 'created' | 'updated' | 'size';
  desc?: boolean;
}

export interface ListPage {
  objects: ObjectRow[];
  /** Common prefixes ("folders"), each ending with the delimiter. */
  prefixes: string[];
  /** More entries follow; continue with `after: next`. */
  truncated: boolean;
  next?: string;
}

/** Lists objects of a bucket in pages, folding names into common prefixes when asked. */
export function createObjectLister(store: BucketStore, db: Executor) {
  return {
    async list(
      bucketId: string,
      opts: ListOptions,
      where: RawBuilder<boolean> | undefined,
    ): Promise<ListPage> {
      const limit = Math.min(Math.max(1, Math.floor(opts.limit ?? 100)), MAX_LIST);
      const offset = Math.max(0, Math.floor(opts.offset ?? 0));
      if (offset > MAX_OFFSET) throw new BadRequestError(`offset must be at most ${MAX_OFFSET}.`);
      const prefix = opts.prefix ?? '';
      const sortBy = opts.sortBy ?? 'name';
      if (!opts.delimiter && (sortBy !== 'name' || opts.desc)) {
        // a flat listing in another order: plain offset paging
        const rows = await store.listObjects(db, bucketId, {
          prefix,
          limit: limit + 1,
          offset,
          sortBy,
          desc: opts.desc ?? false,
          ...(opts.search ? { search: opts.search } : {}),
          ...(where ? { where } : {}),
        });
        return { objects: rows.slice(0, limit), prefixes: [], truncated: rows.length > limit };
      }
      const objects: ObjectRow[] = [];
      const prefixes: string[] = [];
      let skip = offset;
      let cursor = opts.after;
      let last: string | undefined;
      const take = (): 'full' | undefined => (objects.length + prefixes.length >= limit ? 'full' : undefined);
      for (;;) {
        const rows = await store.listObjects(db, bucketId, {
          prefix,
          limit: Math.min(MAX_LIST, limit + skip + 1),
          ...(cursor !== undefined ? { after: cursor } : {}),
          ...(opts.search ? { search: opts.search } : {}),
          ...(where ? { where } : {}),
        });
        if (rows.length === 0) return { objects, prefixes, truncated: false };
        let jumped = false;
        for (const row of rows) {
          if (take())
            return { objects, prefixes, truncated: true, ...(last !== undefined ? { next: last } : {}) };
          const rest = row.name.slice(prefix.length);
          const at = opts.delimiter ? rest.indexOf(opts.delimiter) : -1;
          if (at >= 0) {
            const common = prefix + rest.slice(0, at + opts.delimiter!.length);
            if (skip > 0) skip--;
            else prefixes.push(common);
            // skip every name under this prefix
            cursor = prefixEnd(common);
            last = cursor;
            jumped = true;
            break;
          }
          if (skip > 0) skip--;
          else objects.push(row);
          cursor = row.name;
          last = row.name;
        }
        if (!jumped && rows.length < Math.min(MAX_LIST, limit + skip + 1) && !take())
          return { objects, prefixes, truncated: false };
      }
    },
  };
}
