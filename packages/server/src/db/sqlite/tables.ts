// Schema DDL on SQLite: tables (rebuilt to change), views, search indexes, introspection.
import type { StatementSync } from 'node:sqlite';
import type { ColumnKind, Executor, SchemaDdl, Transaction } from '../database.ts';
import { quoteIdent } from '../ident.ts';
import { applyTablePlan, type TableDialect } from '../rebuild.ts';
import type { Connection } from './connection.ts';
import { mapSqliteError } from './errors.ts';
import { declaredKind, sqliteKinds } from './kinds.ts';
import { searchTable, syncSearch } from './search.ts';

/**
 * SQLite cannot change a column's type or drop an indexed column in place, so most
 * changes rebuild the table; rowids are copied so insertion order survives.
 */
export const sqliteTables: TableDialect = {
  kinds: sqliteKinds,
  rowIdColumn: '_rowid_',
  extraColumns: [],
  existingColumns: async (tx, table) =>
    (
      await tx.all<{ name: string }>({ sql: 'SELECT name FROM pragma_table_info(?)', parameters: [table] })
    ).map((r) => r.name),
  existingIndexes: async (tx, table) =>
    (
      await tx.all<{ name: string }>({
        sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        parameters: [table],
      })
    ).map((r) => r.name),
  dropTableSql: (table) => `DROP TABLE ${quoteIdent(table)}`,
  // views are not rewritten (nor checked) while the table is swapped
  rebuildWrap: () => ({
    before: ['PRAGMA legacy_alter_table = ON'],
    after: ['PRAGMA legacy_alter_table = OFF'],
  }),
};

/** Drops a collection table and its full-text index. */
export async function dropTable(tx: Transaction, name: string): Promise<void> {
  await tx.exec(`DROP TABLE IF EXISTS ${quoteIdent(searchTable(name))}`);
  await tx.exec(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
}

/** Creates or replaces a view, and reads it once so a broken source fails now. */
export async function createView(
  tx: Transaction,
  name: string,
  select: string,
  replace?: string,
): Promise<void> {
  if (replace) await tx.exec(`DROP VIEW IF EXISTS ${quoteIdent(replace)}`);
  await tx.exec(`DROP VIEW IF EXISTS ${quoteIdent(name)}`);
  await tx.exec(`CREATE VIEW ${quoteIdent(name)} AS ${select}`);
  // SQLite checks a view's tables and columns only when it is read: read it now, so a
  // view whose source is gone fails here, as it does on PostgreSQL
  await tx.all({ sql: `SELECT * FROM ${quoteIdent(name)} LIMIT 0`, parameters: [] });
}

/** ANALYZE of one table, on at most 1000 rows per index (`analysis_limit`): quick on big tables. */
export async function analyze(ex: Executor, table: string): Promise<void> {
  await ex.exec(`PRAGMA analysis_limit = 1000; ANALYZE ${quoteIdent(table)}`);
}

export async function dropView(tx: Transaction, name: string): Promise<void> {
  await tx.exec(`DROP VIEW IF EXISTS ${quoteIdent(name)}`);
}

/** The columns a SELECT would return, from the prepared statement (nothing runs). */
export function queryColumns(
  conn: Connection,
  select: string,
): { name: string; kind: ColumnKind | 'unknown' }[] {
  let stmt: StatementSync;
  try {
    stmt = conn.raw.prepare(select);
  } catch (e) {
    throw mapSqliteError(e);
  }
  return stmt.columns().map((c) => ({ name: c.name, kind: declaredKind(c.type) }));
}

/** True when a table or view with this name exists (names compare case-insensitively). */
export async function hasTable(ex: Executor, name: string): Promise<boolean> {
  const row = await ex.first({
    sql: "SELECT 1 AS x FROM sqlite_master WHERE type IN ('table', 'view') AND lower(name) = lower(?)",
    parameters: [name],
  });
  return row !== undefined;
}

/** Schema DDL on SQLite; `writer` prepares statements to read a query's columns. */
export function createSqliteDdl(writer: Connection): SchemaDdl {
  return {
    applyTablePlan: (tx, plan) => applyTablePlan(sqliteTables, tx, plan),
    dropTable,
    syncSearch,
    createView,
    dropView,
    queryColumns: async (_ex, select) => queryColumns(writer, select),
    hasTable,
    analyze,
  };
}
