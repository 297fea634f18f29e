import type { Database } from '../db/database.ts';

/** One row of the change log, as consumers read it. */
export interface ChangeRow {
  seq: number;
  collectionId: string;
  recordId: string;
  action: 'create' | 'update' | 'delete';
  /** The record as logged (its superuser export), or for deletes its last state. */
  record: Record<string, unknown>;
}

/** Reads `_changes` by seq: the realtime hub's data layer. */
export function createChangeStore(db: Database) {
  const qb = db.qb;
  const toRow = (r: Record<string, unknown>): ChangeRow => ({
    seq: Number(r.seq),
    collectionId: String(r.collection_id),
    recordId: String(r.record_id),
    action: r.action as ChangeRow['action'],
    record:
      typeof r.record === 'string' ? JSON.parse(r.record) : ((r.record ?? {}) as Record<string, unknown>),
  });
  const columns = ['seq', 'collection_id', 'record_id', 'action', 'record'] as const;

  return {
    /** The newest seq (0 when the log is empty). */
    async lastSeq(): Promise<number> {
      const r = await db.first<{ seq: unknown }>(
        qb.selectFrom('_changes').select((eb) => eb.fn.max('seq').as('seq')),
      );
      return Number(r?.seq ?? 0);
    },

    /** The oldest seq still kept (0 when the log is empty). */
    async firstSeq(): Promise<number> {
      const r = await db.first<{ seq: unknown }>(
        qb.selectFrom('_changes').select((eb) => eb.fn.min('seq').as('seq')),
      );
      return Number(r?.seq ?? 0);
    },

    /** Rows after `seq`, plus the ones in `extra` (gaps that may have filled since), oldest first. */
    async after(seq: number, extra: number[], limit: number): Promise<ChangeRow[]> {
      const rows = await db.all<Record<string, unknown>>(
        qb
          .selectFrom('_changes')
          .select(columns)
          .where((eb) =>
            extra.length ? eb.or([eb('seq', '>', seq), eb('seq', 'in', extra)]) : eb('seq', '>', seq),
          )
          .orderBy('seq')
          .limit(limit),
      );
      return rows.map(toRow);
    },
  };
}

/** The reader of `_changes` (see createChangeStore). */
export type ChangeStore = ReturnType<typeof createChangeStore>;
