import type { Database, Executor, Transaction } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { AuditCheckpointsTable, AuditTable } from '../db/system-tables.ts';
import { tableCondition, tableSort } from '../logs/log-filter.ts';
import { DEFAULT_PER_PAGE, type ListParams, MAX_PER_PAGE } from '../records/list.ts';
import { orderBySort } from '../records/sort.ts';
import { tableAsCollection } from '../schema/collection.ts';
import {
  type AuditEntry,
  type ChainedEntry,
  type ChainStart,
  entryHash,
  GENESIS_HASH,
} from './audit-chain.ts';

/**
 * `_audit` seen as a collection, for `GET /api/audit`'s filter and sort: the columns,
 * with `data.*` JSON paths.
 */
export const AUDIT_TABLE = tableAsCollection('_audit', [
  { name: 'seq', type: 'number' },
  { name: 'created', type: 'date' },
  { name: 'actorType', type: 'text' },
  { name: 'actorId', type: 'text' },
  { name: 'actorCollection', type: 'text' },
  { name: 'action', type: 'text' },
  { name: 'target', type: 'text' },
  { name: 'ip', type: 'text' },
  { name: 'data', type: 'json' },
  { name: 'prevHash', type: 'text' },
  { name: 'hash', type: 'text' },
]);

/** Transactions appending to the chain take this lock (PostgreSQL; SQLite has one writer). */
const LOCK_KEY = 'forgebase:audit-chain';

export type AuditCheckpoint = AuditCheckpointsTable;

/** A page of entries, oldest first unless `sort` says otherwise. */
export interface AuditPage {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: ChainedEntry[];
}

function toEntry(row: AuditTable): ChainedEntry {
  const data = typeof row.data === 'string' ? (JSON.parse(row.data) as unknown) : row.data;
  return {
    seq: Number(row.seq),
    created: row.created,
    actor: {
      type: row.actorType as ChainedEntry['actor']['type'],
      id: row.actorId,
      collection: row.actorCollection,
    },
    action: row.action,
    target: row.target,
    ip: row.ip,
    data: data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/**
 * The SQL of the audit chain: append under the chain lock, pages for the API, ranges for
 * verify and export, checkpoints, pruning.
 */
export function createAuditStore(db: Database) {
  const entries = () => db.sys.selectFrom('_audit').selectAll();

  /** The last pruning checkpoint: where the chain now starts. */
  async function start(ex: Executor = db): Promise<ChainStart> {
    const cp = await ex.first(
      db.sys
        .selectFrom('_audit_checkpoints')
        .select(['seq', 'hash'])
        .where('kind', '=', 'prune')
        .orderBy('seq', 'desc')
        .limit(1),
    );
    return cp ? { seq: Number(cp.seq), hash: cp.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /** The newest entry's seq and hash (the chain start when there is none). */
  async function head(ex: Executor = db): Promise<ChainStart & { created?: string }> {
    const row = await ex.first(
      db.sys.selectFrom('_audit').select(['seq', 'hash', 'created']).orderBy('seq', 'desc').limit(1),
    );
    return row ? { seq: Number(row.seq), hash: row.hash, created: row.created } : start(ex);
  }

  return {
    start,
    head,

    /**
     * Appends one entry as the chain's next link, in `tx`: the lock makes concurrent
     * appenders take turns until their transactions end, so each reads the head the
     * previous one committed.
     */
    async append(tx: Transaction, entry: Omit<AuditEntry, 'seq'>): Promise<ChainedEntry> {
      await db.bus.lockKey(tx, LOCK_KEY);
      const prev = await head(tx);
      const full: AuditEntry = { ...entry, seq: prev.seq + 1 };
      const hash = entryHash(prev.hash, full);
      await tx.run(
        db.sys.insertInto('_audit').values({
          seq: full.seq,
          created: full.created,
          actorType: full.actor.type,
          actorId: full.actor.id,
          actorCollection: full.actor.collection,
          action: full.action,
          target: full.target,
          ip: full.ip,
          data: JSON.stringify(full.data),
          prevHash: prev.hash,
          hash,
        }),
      );
      return { ...full, prevHash: prev.hash, hash };
    },

    /** One page for the API: PocketBase's filter and sort over AUDIT_TABLE. */
    async list(params: ListParams): Promise<AuditPage> {
      const page = params.page && params.page > 0 ? Math.floor(params.page) : 1;
      const perPage = Math.min(
        params.perPage && params.perPage > 0 ? Math.floor(params.perPage) : DEFAULT_PER_PAGE,
        MAX_PER_PAGE,
      );
      const where = tableCondition(db, AUDIT_TABLE, params.filter);
      const terms = tableSort(db, AUDIT_TABLE, params.sort, 'seq');
      let query = entries();
      let count = db.sys.selectFrom('_audit').select(sql<number>`COUNT(*)`.as('total'));
      if (where) {
        query = query.where(where);
        count = count.where(where);
      }
      query = orderBySort(query, terms, 'seq');
      const [rows, total] = await Promise.all([
        db.all(query.limit(perPage).offset((page - 1) * perPage)),
        params.skipTotal ? Promise.resolve(-1) : db.first(count).then((r) => Number(r?.total ?? 0)),
      ]);
      return {
        page,
        perPage,
        totalItems: total,
        totalPages: total < 0 ? -1 : Math.ceil(total / perPage),
        items: rows.map(toEntry),
      };
    },

    /** Up to `limit` entries after `seq`, in seq order (verify and export read in such pages). */
    async after(seq: number, limit: number): Promise<ChainedEntry[]> {
      const rows = await db.all(entries().where('seq', '>', seq).orderBy('seq').limit(limit));
      return rows.map(toEntry);
    },

    /** The seq of the first entry created at or after `date` (stored format), if any. */
    async firstSince(date: string): Promise<number | undefined> {
      const row = await db.first(
        db.sys.selectFrom('_audit').select('seq').where('created', '>=', date).orderBy('seq').limit(1),
      );
      return row ? Number(row.seq) : undefined;
    },

    /** One entry's hash (a checkpoint's anchor), if it is still stored. */
    async entry(seq: number): Promise<ChainedEntry | undefined> {
      const row = await db.first(entries().where('seq', '=', seq));
      return row ? toEntry(row) : undefined;
    },

    async checkpoints(): Promise<AuditCheckpoint[]> {
      const rows = await db.all(db.sys.selectFrom('_audit_checkpoints').selectAll().orderBy('seq'));
      return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    },

    /** Records a checkpoint; a second one for the same seq replaces the first (a prune wins over a head). */
    async saveCheckpoint(ex: Executor, cp: AuditCheckpoint): Promise<void> {
      await ex.run(db.sys.deleteFrom('_audit_checkpoints').where('seq', '=', cp.seq));
      await ex.run(db.sys.insertInto('_audit_checkpoints').values(cp));
    },

    /**
     * Deletes the entries up to `seq` (never the newest one, which links the next append)
     * with their checkpoint recorded in the same transaction; returns how many.
     */
    async prune(tx: Transaction, checkpoint: AuditCheckpoint): Promise<number> {
      await db.bus.lockKey(tx, LOCK_KEY);
      await this.saveCheckpoint(tx, checkpoint);
      // older checkpoints of either kind cover entries that no longer exist
      await tx.run(db.sys.deleteFrom('_audit_checkpoints').where('seq', '<', checkpoint.seq));
      return (await tx.run(db.sys.deleteFrom('_audit').where('seq', '<=', checkpoint.seq))).changes;
    },

    /** The newest entry created at or before `date` that may be pruned (not the head). */
    async lastBefore(tx: Executor, date: string): Promise<ChainedEntry | undefined> {
      const newest = await head(tx);
      const row = await tx.first(
        entries().where('created', '<=', date).where('seq', '<', newest.seq).orderBy('seq', 'desc').limit(1),
      );
      return row ? toEntry(row) : undefined;
    },
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
