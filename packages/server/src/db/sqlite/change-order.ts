import type { ChangeOrder, Executor } from '../database.ts';

/**
 * Commit order on SQLite: one writer, and readers see each commit whole, so rows appear
 * in seq order and a gap (a rolled-back write) is permanent: `missing` seqs never come. A transaction's id is the
 * seq its first change row takes (the change log passes it on to the transaction's other
 * rows).
 */
export function sqliteChangeOrder(reader: Executor): ChangeOrder {
  return {
    txIdSql: `(SELECT COALESCE(MAX(seq), 0) + 1 FROM sqlite_sequence WHERE name = '_changes')`,
    async read(after, limit) {
      const rows = await reader.all<Record<string, unknown>>({
        sql: 'SELECT seq, collection_id, record_id, action, record, tx_id, created FROM _changes WHERE seq > ? ORDER BY seq LIMIT ?',
        parameters: [after, limit],
      });
      return { rows, settled: () => true };
    },
    sightWriters: async () => undefined,
  };
}
