import type { RawBuilder } from 'kysely';
import type { StoredBool } from './system-tables.ts';

/**
 * The SQL pieces that differ between dialects, for building queries: identifiers, bound
 * values, the row-order column and the filter compiler's fragments. Every argument is an
 * already-built fragment; results are fragments to embed.
 */
export interface FilterDialect {
  /** Quotes an identifier for this dialect. */
  ident(name: string): string;
  /** The value to bind for a boolean. */
  bool(value: boolean): StoredBool;
  /** A boolean read back from a column written with `bool()` (SQLite: 0/1). */
  decodeBool(value: unknown): boolean;
  /**
   * `text` escaped to match itself inside a `like()` pattern: `%`, `_` and the escape
   * character lose their meaning. E.g. `like(col, '%' + likeEscape(q) + '%')` is "contains".
   */
  likeEscape(text: string): string;
  /** The column expression that gives insertion order (`@rowid`, default sort). */
  readonly rowIdColumn: string;
  /** A condition that is true when the JSON array in `column` holds `value`. */
  jsonArrayHas(column: string, value: unknown): RawBuilder<boolean>;
  /** A LEFT JOIN over the elements of a JSON array, as rows with a `value` column. */
  joinJsonEach(column: RawBuilder<unknown>, alias: string): RawBuilder<unknown>;
  /**
   * A value inside a JSON column, by path; native SQL value (SQLite) or jsonb (PostgreSQL).
   * A JSON null reads as SQL NULL, as SQLite's json_extract gives it.
   */
  jsonExtract(column: RawBuilder<unknown>, path: (string | number)[]): RawBuilder<unknown>;
  /** The same value as text (for LIKE). */
  jsonExtractText(column: RawBuilder<unknown>, path: (string | number)[]): RawBuilder<unknown>;
  /** A bound literal as a value comparable with `jsonExtract` results. */
  jsonLiteral(value: RawBuilder<unknown>, type: 'text' | 'number' | 'bool'): RawBuilder<unknown>;
  /**
   * A column or expression as a value comparable with `jsonExtract` results: itself on
   * SQLite (json_extract gives native values), jsonb on PostgreSQL.
   */
  toJson(value: RawBuilder<unknown>): RawBuilder<unknown>;
  jsonArrayLength(column: RawBuilder<unknown>): RawBuilder<number>;
  /** True when the JSON array `column` holds the text `value` (a fragment, e.g. a column). */
  jsonArrayContains(column: RawBuilder<unknown>, value: RawBuilder<unknown>): RawBuilder<boolean>;
  /** Null-safe equality and inequality. */
  isSame(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<boolean>;
  isDistinct(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<boolean>;
  /** Case-insensitive LIKE with `\` as the escape character (PocketBase's `~`). */
  like(a: RawBuilder<unknown>, pattern: RawBuilder<unknown>, negate: boolean): RawBuilder<boolean>;
  /** A value as a double-precision number (`json`: a JSON number). */
  toNumber(a: RawBuilder<unknown>, json: boolean): RawBuilder<number>;
  /** The smaller of two numbers. */
  least(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number>;
  /**
   * A stored date formatted with strftime codes (`%Y %m %d %H %M %S %j %%` only; the
   * caller checks the format).
   */
  strftime(format: string, value: RawBuilder<unknown>): RawBuilder<string>;
  /**
   * True when the row (`alias` of `table`) has every term in its full-text indexed
   * `column`; terms match as prefixes.
   */
  search(alias: string, table: string, column: string, terms: string[]): RawBuilder<boolean>;
  /** How well the row matches the terms of `search()`: lower is better (for ORDER BY ASC). */
  searchRank(alias: string, table: string, column: string, terms: string[]): RawBuilder<number>;
  /** Any value as text (a whole number without a fractional part: 10, not 10.0). */
  toText(a: RawBuilder<unknown>): RawBuilder<string>;
  /** A `jsonExtract` value as text: a JSON string without its quotes, anything else as JSON. */
  jsonToText(a: RawBuilder<unknown>): RawBuilder<string>;
  /**
   * Bound JSON text (as a JSON column stores it) as a value comparable with such a column:
   * the text itself on SQLite, jsonb on PostgreSQL.
   */
  jsonText(text: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * Locks the rows a claim's SELECT picks for its transaction and skips rows another
   * transaction holds (PostgreSQL `FOR UPDATE SKIP LOCKED`), so nodes claiming work from one
   * table never take the same row; SQLite has one writer, so the query stays as it is.
   */
  lockForClaim<Q extends { forUpdate(): Q; skipLocked(): Q }>(query: Q): Q;
}
