// The SQLite pieces of the filter compiler: JSON1 functions, LIKE, FTS5.
import type { FilterDialect } from '../filter-dialect.ts';
import { likeEscape, quoteIdent } from '../ident.ts';
import { sql } from '../kysely.ts';
import { ftsQuery, searchTable } from './search.ts';

function jsonPath(path: (string | number)[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${JSON.stringify(p)}`)).join('')}`;
}

/** FilterDialect for SQLite (JSON values compared as SQLite values, FTS5 for search). */
export const sqliteFilter: FilterDialect = {
  lockForClaim: (query) => query,
  ident: quoteIdent,
  // SQLite has no boolean type: TRUE is 1
  bool: (value) => (value ? 1 : 0),
  decodeBool: (value) => value === 1 || value === 1n,
  likeEscape,
  rowIdColumn: '_rowid_',
  jsonArrayHas: (column, value) =>
    sql<boolean>`EXISTS (SELECT 1 FROM json_each(${sql.ref(column)}) WHERE json_each.value = ${value})`,
  joinJsonEach: (column, alias) => sql`LEFT JOIN json_each(${column}) AS ${sql.id(alias)}`,
  jsonExtract: (column, path) => sql`json_extract(${column}, ${jsonPath(path)})`,
  jsonExtractText: (column, path) => sql`CAST(json_extract(${column}, ${jsonPath(path)}) AS TEXT)`,
  jsonLiteral: (value, type) => (type === 'bool' ? sql`(CASE WHEN ${value} THEN 1 ELSE 0 END)` : value),
  toJson: (value) => value,
  jsonArrayContains: (column, value) =>
    sql<boolean>`EXISTS (SELECT 1 FROM json_each(${column}) AS fb_jc WHERE fb_jc.value = ${value})`,
  jsonArrayLength: (column) => sql<number>`json_array_length(${column})`,
  isSame: (a, b) => sql<boolean>`(${a} IS ${b})`,
  isDistinct: (a, b) => sql<boolean>`(${a} IS NOT ${b})`,
  like: (a, pattern, negate) =>
    sql<boolean>`(${a} ${sql.raw(negate ? 'NOT LIKE' : 'LIKE')} ${pattern} ESCAPE '\\')`,
  // a REAL column holds 10 as 10.0: render it 10, as the API does (and PocketBase's NUMERIC)
  toText: (a) =>
    sql<string>`(CASE WHEN typeof(${a}) = 'real' AND ${a} = CAST(${a} AS INTEGER) THEN CAST(CAST(${a} AS INTEGER) AS TEXT) ELSE CAST(${a} AS TEXT) END)`,
  jsonToText: (a) => sql<string>`CAST(${a} AS TEXT)`,
  jsonText: (text) => text,
  toNumber: (a) => sql<number>`CAST(${a} AS REAL)`,
  least: (a, b) => sql<number>`min(${a}, ${b})`,
  strftime: (format, value) => sql<string>`strftime(${format}, NULLIF(${value}, ''))`,
  // bm25 is negative, lower is a better match; a row without a match ranks last
  searchRank: (alias, table, column, terms) =>
    sql<number>`COALESCE((SELECT bm25(${sql.id(searchTable(table))}) FROM ${sql.id(searchTable(table))} WHERE ${sql.id(searchTable(table))} MATCH ${ftsQuery(column, terms)} AND rowid = ${sql.ref(`${alias}.rowid`)}), 0)`,
  search: (alias, table, column, terms) =>
    terms.length === 0
      ? sql<boolean>`(1 = 0)`
      : sql<boolean>`(${sql.ref(`${alias}.rowid`)} IN (SELECT rowid FROM ${sql.id(searchTable(table))} WHERE ${sql.id(searchTable(table))} MATCH ${ftsQuery(column, terms)}))`,
};
