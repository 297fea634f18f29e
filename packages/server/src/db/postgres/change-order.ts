import type pg from 'pg';
import type { ChangeOrder, WriterSighting } from '../database.ts';
import { mapPgError } from './errors.ts';

const XID_SPACE = 2 ** 32;

// the rows after a seq, and the snapshot they were read with (one statement, one snapshot)
const READ = `
  SELECT s.snap, c.seq, c.collection_id, c.record_id, c.action, c.record, c.tx_id, c.created
  FROM (SELECT pg_current_snapshot()::text AS snap) s
  LEFT JOIN LATERAL (
    SELECT * FROM _changes WHERE seq > $1 OR seq = ANY($3::bigint[]) ORDER BY seq LIMIT $2) c ON true
  ORDER BY c.seq`;

// the last seq taken first (OFFSET 0 keeps the subquery from being folded into the outer
// one), then, live, the transactions that hold a write lock on _changes: whoever took a
// seq up to `q` and has not ended is among them
const SIGHT = `
  SELECT s.q::text AS q, ARRAY(
    SELECT COALESCE(t.transactionid::text, '')
    FROM pg_locks r
    LEFT JOIN pg_locks t ON t.pid = r.pid AND t.locktype = 'transactionid'
      AND t.mode = 'ExclusiveLock' AND t.granted
    WHERE s.q IS NOT NULL AND r.locktype = 'relation' AND r.relation = '_changes'::regclass
      AND r.mode = 'RowExclusiveLock' AND r.pid <> pg_backend_pid()) AS xids
  FROM (SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('_changes', 'seq')::regclass), 0) AS q
        OFFSET 0) s`;

/** A snapshot as PostgreSQL prints it (`xmin:xmax:xip,...`), in 32-bit xid space. */
function parseSnapshot(text: string): { xmax: number; running: Set<number> } {
  const [, xmax = '0', xip = ''] = text.split(':');
  const running = new Set(
    xip
      .split(',')
      .filter(Boolean)
      .map((x) => Number(BigInt(x) % BigInt(XID_SPACE))),
  );
  return { xmax: Number(BigInt(xmax) % BigInt(XID_SPACE)), running };
}

/** True when transaction `xid` (32-bit) had not ended when the snapshot was taken. */
function runningIn(snap: { xmax: number; running: Set<number> }, xid: number): boolean {
  // at or past xmax (wrap-around aware): not yet finished at the snapshot
  return snap.running.has(xid) || (xid - snap.xmax + XID_SPACE) % XID_SPACE < XID_SPACE / 2;
}

/**
 * Commit order on PostgreSQL without waiting for gaps to fill. A transaction holds
 * `_changes`' write lock from before it takes a seq until it ends. A reader that sighted
 * (live) the last seq taken, then the lock holders, knows that every seq up to it is
 * final once all those holders had ended before its snapshot: a seq still missing then
 * was rolled back. Only the table's own writers count, so a long transaction elsewhere in
 * the cluster holds nothing back. A transaction's id is its xid8 (`pg_current_xact_id()`).
 */
export function pgChangeOrder(pool: pg.Pool): ChangeOrder {
  async function query(text: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await pool.query(text, params);
    } catch (e) {
      throw mapPgError(e);
    }
  }
  return {
    txIdSql: 'pg_current_xact_id()::text::bigint',
    async read(after, limit, missing = []) {
      const result = await query(READ, [after, limit, missing]);
      const snap = parseSnapshot(String(result.rows[0]?.snap ?? '0:0:'));
      const rows = result.rows.filter((r) => r.seq !== null);
      const settled = (s: WriterSighting | undefined) =>
        s !== undefined && !s.unknown && s.xids.every((x) => !runningIn(snap, x));
      return { rows, settled };
    },
    async sightWriters() {
      const row = (await query(SIGHT, [])).rows[0] as { q: string; xids: string[] };
      return {
        upTo: Number(row.q),
        xids: row.xids.filter((x) => x !== '').map(Number),
        unknown: row.xids.includes(''),
      };
    },
  };
}
