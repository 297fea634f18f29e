// Full-text search on PostgreSQL: one GIN index per column over its 'simple' tsvector.
import type { Transaction } from '../database.ts';
import { quoteIdent } from '../ident.ts';

/** A to_tsquery text from search terms: letters and digits only, each a prefix, all required. */
export function tsQuery(terms: string[]): string {
  const lexemes = terms.map((t) => t.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')).filter(Boolean);
  return lexemes.map((l) => `'${l}':*`).join(' & ');
}

/**
 * Brings a table's search indexes to cover exactly `columns`; the filter's search() uses
 * the same expression, so the index serves it. Indexes follow a renamed table by
 * themselves, so `previous` is not needed here.
 */
export async function syncSearch(
  tx: Transaction,
  table: string,
  columns: string[],
  previous?: string,
): Promise<void> {
  const rows = await tx.all<{ name: string }>({
    sql: "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname LIKE '\\_fts\\_%'",
    parameters: [table],
  });
  for (const r of rows) await tx.exec(`DROP INDEX IF EXISTS ${quoteIdent(r.name)}`);
  void previous;
  for (const c of columns) {
    const name = `_fts_${table}_${c}`.slice(0, 63);
    await tx.exec(
      `CREATE INDEX ${quoteIdent(name)} ON ${quoteIdent(table)} USING GIN (to_tsvector('simple', ${quoteIdent(c)}))`,
    );
  }
}
