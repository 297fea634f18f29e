import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { ChangeRow, ChangeStore } from './change-store.ts';

const BATCH = 500;
/** How long a missing seq is waited for: its transaction may still commit (PostgreSQL). */
const GAP_WAIT_MS = 30_000;
const MAX_GAPS = 10_000;

/** What a change feed reads from and whom it hands new rows to. */
export interface ChangeFeedDeps {
  db: Database;
  store: ChangeStore;
  logger: Logger;
  /** Receives new rows in seq order of reading, each exactly once. */
  deliver(rows: ChangeRow[]): Promise<void>;
}

/**
 * Follows `_changes` by seq with its own cursor. A wake-up (a local commit, or a NOTIFY
 * from another node) reads what is new. On PostgreSQL seqs are taken at insert but become
 * visible at commit, so a later seq can show up before an earlier one: missing seqs are
 * remembered for a while and read again, so a slow transaction's changes still arrive.
 */
export function createChangeFeed({ db, store, logger, deliver }: ChangeFeedDeps) {
  let cursor = 0;
  const gaps = new Map<number, number>();
  let running: Promise<void> | undefined;
  let again = false;
  let stopListening: (() => Promise<void>) | undefined;
  let stopped = false;

  async function readOnce(): Promise<number> {
    const now = Date.now();
    for (const [seq, since] of gaps) if (now - since > GAP_WAIT_MS) gaps.delete(seq);
    const rows = await store.after(cursor, [...gaps.keys()], BATCH);
    const fresh: ChangeRow[] = [];
    for (const row of rows) {
      if (row.seq <= cursor) {
        if (gaps.delete(row.seq)) fresh.push(row);
        continue;
      }
      for (let missing = cursor + 1; missing < row.seq && gaps.size < MAX_GAPS; missing++)
        gaps.set(missing, now);
      cursor = row.seq;
      fresh.push(row);
    }
    if (fresh.length) await deliver(fresh);
    return rows.length;
  }

  async function pump(): Promise<void> {
    do {
      again = false;
      try {
        while (!stopped && (await readOnce()) === BATCH) {}
      } catch (err) {
        if (!stopped) logger.error({ err }, 'realtime: reading _changes failed');
      }
    } while (again && !stopped);
  }

  /** Reads whatever is new; concurrent calls fold into one more pass. */
  function wake(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = pump().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    wake,
    /** The last seq read. */
    get cursor(): number {
      return cursor;
    },
    /** Starts after the newest existing change and listens for other nodes. */
    async start(): Promise<void> {
      cursor = await store.lastSeq();
      stopListening = await db.listenChanges(() => void wake());
    },
    /** Reads what is new, then tells the other nodes (after a local commit). */
    async committed(): Promise<void> {
      await wake();
      await db
        .notifyChanges(cursor)
        .catch((err: unknown) => logger.error({ err }, 'realtime: NOTIFY failed'));
    },
    async stop(): Promise<void> {
      stopped = true;
      await stopListening?.();
      await running;
    },
  };
}

/** A change feed (see createChangeFeed). */
export type ChangeFeed = ReturnType<typeof createChangeFeed>;
