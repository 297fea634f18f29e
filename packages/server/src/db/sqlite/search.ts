// Full-text search on SQLite: an FTS5 table per collection table, kept in step by triggers.
import type { Transaction } from '../database.ts';
import { quoteIdent, sqlText } from '../ident.ts';

/** The FTS5 table that indexes a collection table. */
export function searchTable(table: string): string {
  return `_fts_${table}`;
}

/** An FTS5 query: every term, quoted (no FTS syntax from users), as a prefix, in one column. */
export function ftsQuery(column: string, terms: string[]): string {
  const quoted = terms.map((t) => `"${t.replaceAll('"', '""')}"*`).join(' AND ');
  return `{${column}} : (${quoted})`;
}

/**
 * Brings a table's FTS5 index (external content, triggers on insert/update/delete) to
 * cover exactly `columns`; `previous` is the table's former name when it was renamed.
 */
export async function syncSearch(
  tx: Transaction,
  table: string,
  columns: string[],
  previous?: string,
): Promise<void> {
  const fts = quoteIdent(searchTable(table));
  const drops = [previous, table].filter((t): t is string => !!t);
  for (const t of drops) {
    await tx.exec(`DROP TABLE IF EXISTS ${quoteIdent(searchTable(t))}`);
    for (const suffix of ['ai', 'ad', 'au'])
      await tx.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(`${searchTable(t)}_${suffix}`)}`);
  }
  if (columns.length === 0) return;
  const cols = columns.map(quoteIdent).join(', ');
  const newValues = columns.map((c) => `new.${quoteIdent(c)}`).join(', ');
  const oldValues = columns.map((c) => `old.${quoteIdent(c)}`).join(', ');
  const t = quoteIdent(table);
  const trigger = (suffix: string) => quoteIdent(`${searchTable(table)}_${suffix}`);
  await tx.exec(
    `CREATE VIRTUAL TABLE ${fts} USING fts5(${cols}, content=${sqlText(table)}, content_rowid='rowid')`,
  );
  await tx.exec(
    `CREATE TRIGGER ${trigger('ai')} AFTER INSERT ON ${t} BEGIN INSERT INTO ${fts}(rowid, ${cols}) VALUES (new.rowid, ${newValues}); END`,
  );
  await tx.exec(
    `CREATE TRIGGER ${trigger('ad')} AFTER DELETE ON ${t} BEGIN INSERT INTO ${fts}(${fts}, rowid, ${cols}) VALUES ('delete', old.rowid, ${oldValues}); END`,
  );
  await tx.exec(
    `CREATE TRIGGER ${trigger('au')} AFTER UPDATE ON ${t} BEGIN INSERT INTO ${fts}(${fts}, rowid, ${cols}) VALUES ('delete', old.rowid, ${oldValues}); INSERT INTO ${fts}(rowid, ${cols}) VALUES (new.rowid, ${newValues}); END`,
  );
  await tx.exec(`INSERT INTO ${fts}(${fts}) VALUES ('rebuild')`);
}
