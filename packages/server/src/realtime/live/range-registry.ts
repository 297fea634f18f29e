import type { ChangeRow } from '../../changes/change-log.ts';
import type { Logger } from '../../observability/logger.ts';
import { bindFilterParams } from '../../query/filter-params.ts';
import type { RecordService } from '../../records/record-service.ts';
import {
  applyToRange,
  type KeyRange,
  MAX_RANGE_MEMBERS,
  newRange,
  rangeKey,
  seedRange,
} from './key-range.ts';
import type { ReadSet } from './read-set.ts';

/**
 * The key ranges of the open live queries, shared by equal ones and seeded once from the
 * database (the ids that meet the keys, as the system sees them), then kept current from
 * the change log.
 */
export function createRangeRegistry(records: RecordService, logger: Logger) {
  const ranges = new Map<string, KeyRange>();
  const byCollection = new Map<string, Set<KeyRange>>();
  const seeds = new WeakMap<KeyRange, Promise<void>>();

  async function seed(range: KeyRange): Promise<void> {
    let ids: string[] | undefined;
    try {
      const params: Record<string, unknown> = {};
      const terms = [...range.keys].map(([field], i) => {
        params[`k${i}`] = range.keys.get(field);
        return `${field} = {:k${i}}`;
      });
      const page = await records.asSystem().list(range.collectionId, {
        filter: bindFilterParams(terms.join(' && '), params),
        perPage: MAX_RANGE_MEMBERS,
      });
      ids = page.totalItems > MAX_RANGE_MEMBERS ? undefined : page.items.map((r) => String(r.id));
    } catch (err) {
      // an unreadable range stays unknown: its changes are never skipped
      logger.debug({ err, collection: range.collectionId }, 'live query key range not seeded');
    }
    seedRange(range, ids);
  }

  return {
    /** The range of a read set's keys (undefined without keys), counted as used once more. */
    acquire(readSet: ReadSet): KeyRange | undefined {
      if (!readSet.main || readSet.keys.size === 0) return undefined;
      const key = rangeKey(readSet.main, readSet.keys);
      let range = ranges.get(key);
      if (!range) {
        range = newRange(readSet.main, readSet.keys);
        ranges.set(key, range);
        const set = byCollection.get(range.collectionId) ?? new Set<KeyRange>();
        byCollection.set(range.collectionId, set);
        set.add(range);
        seeds.set(range, seed(range));
      }
      range.users++;
      return range;
    },

    /** Resolves once the range knows its members (or knows it cannot). */
    seeded(range: KeyRange): Promise<void> {
      return seeds.get(range) ?? Promise.resolve();
    },

    release(range: KeyRange): void {
      if (--range.users > 0) return;
      ranges.delete(range.key);
      const set = byCollection.get(range.collectionId);
      set?.delete(range);
      if (set?.size === 0) byCollection.delete(range.collectionId);
    },

    /** Moves every range of the row's collection past it. */
    apply(row: ChangeRow): void {
      for (const range of byCollection.get(row.collectionId) ?? []) applyToRange(range, row);
    },
  };
}
