import type { Database, Executor } from '../db/database.ts';
import { sql } from '../db/kysely.ts';

/** One row of the change log, as consumers read it. */
export interface ChangeRow {
  seq: number;
  collectionId: string;
  recordId: string;
  action: 'create' | 'update' | 'delete';
  /** The record as logged (its superuser export), or for deletes its last state. */
  record: Record<string, unknown>;
  /** The writing transaction: rows that committed together share it. */
  txId: number;
  /** When it was written (a stored date, e.g. `2026-01-02 03:04:05.678Z`). */
  created: string;
}

/** A change to append, inside the writing transaction. */
export interface NewChange {
  collectionId: string;
  recordId: string;
  action: ChangeRow['action'];
  record: Record<string, unknown>;
}

/** Turns a stored `_changes` row into a ChangeRow. */
export function toChangeRow(r: Record<string, unknown>): ChangeRow {
  return {
    seq: Number(r.seq),
    collectionId: String(r.collection_id),
    recordId: String(r.record_id),
    action: r.action as ChangeRow['action'],
    record:
      typeof r.record === 'string' ? JSON.parse(r.record) : ((r.record ?? {}) as Record<string, unknown>),
    txId: Number(r.tx_id ?? 0),
    created: String(r.created),
  };
}

/** The tables of the change log: `_changes` and the durable cursors in `_change_cursors`. */
export function createChangeStore(db: Database) {
  const sys = db.sys;
  const blank = { collection_id: '', record_id: '', action: '', record: '', created: '' };
  // compiled once: the write path only binds values. The first row of a transaction takes
  // its id from the database, the transaction's other rows are given it.
  const insertFirst = sys
    .insertInto('_changes')
    .values({ ...blank, tx_id: sql<number>`${sql.raw(db.changeOrder.txIdSql)}` })
    .returning(['seq', 'tx_id'])
    .compile().sql;
  const insertNext = sys
    .insertInto('_changes')
    .values({ ...blank, tx_id: 0 })
    .returning(['seq', 'tx_id'])
    .compile().sql;

  return {
    /** Appends one row in `tx`; returns its seq and the transaction id it carries. */
    async append(
      tx: Executor,
      change: NewChange,
      created: string,
      txId?: number,
    ): Promise<{ seq: number; txId: number }> {
      const parameters: unknown[] = [
        change.collectionId,
        change.recordId,
        change.action,
        JSON.stringify(change.record),
        created,
      ];
      const sql = txId === undefined ? insertFirst : insertNext;
      const rows = await tx.all<{ seq: unknown; tx_id: unknown }>({
        sql,
        parameters: txId === undefined ? parameters : [...parameters, txId],
      });
      return { seq: Number(rows[0]?.seq ?? 0), txId: Number(rows[0]?.tx_id ?? 0) };
    },

    /** The newest seq (0 when the log is empty). */
    async lastSeq(): Promise<number> {
      const r = await db.first(sys.selectFrom('_changes').select((eb) => eb.fn.max('seq').as('seq')));
      return Number(r?.seq ?? 0);
    },

    /** The oldest seq written at or after `since` (a stored date), or undefined when there is none. */
    async firstSince(since: string): Promise<number | undefined> {
      const r = await db.first(
        sys
          .selectFrom('_changes')
          .select((eb) => eb.fn.min('seq').as('seq'))
          .where('created', '>=', since),
      );
      return r?.seq == null ? undefined : Number(r.seq);
    },

    /** The oldest seq still kept (0 when the log is empty). */
    async firstSeq(): Promise<number> {
      const r = await db.first(sys.selectFrom('_changes').select((eb) => eb.fn.min('seq').as('seq')));
      return Number(r?.seq ?? 0);
    },

    /** Rows after `seq`, oldest first, as they are now (no commit-order care: for replays). */
    async after(seq: number, limit: number): Promise<ChangeRow[]> {
      const rows = await db.all(
        sys.selectFrom('_changes').selectAll().where('seq', '>', seq).orderBy('seq').limit(limit),
      );
      return rows.map((r) => toChangeRow(r as Record<string, unknown>));
    },

    /** A durable consumer's position, or undefined for a consumer not seen before. */
    async cursor(name: string): Promise<number | undefined> {
      const r = await db.first(sys.selectFrom('_change_cursors').select('position').where('name', '=', name));
      return r ? Number(r.position) : undefined;
    },

    /** Stores a durable consumer's position (creating its cursor). */
    async saveCursor(name: string, position: number, updated: string): Promise<void> {
      await db.run(
        sys
          .insertInto('_change_cursors')
          .values({ name, position, updated })
          .onConflict((oc) => oc.column('name').doUpdateSet({ position, updated })),
      );
    },

    /** Drops a durable consumer's cursor. */
    async dropCursor(name: string): Promise<void> {
      await db.run(sys.deleteFrom('_change_cursors').where('name', '=', name));
    },

    /**
     * Deletes rows written before `before` (a stored date) that every durable cursor has
     * passed; returns how many.
     */
    async prune(before: string): Promise<number> {
      const result = await db.run(
        sys
          .deleteFrom('_changes')
          .where('created', '<', before)
          .where((eb) =>
            eb.or([
              eb.not(eb.exists(eb.selectFrom('_change_cursors').select('name'))),
              eb(
                'seq',
                '<=',
                eb.selectFrom('_change_cursors').select((e) => e.fn.min('position').as('p')),
              ),
            ]),
          ),
      );
      return result.changes;
    },
  };
}

/** The tables of the change log (see createChangeStore). */
export type ChangeStore = ReturnType<typeof createChangeStore>;
