import type { CompiledQuery, Kysely, RawBuilder } from 'kysely';
import type { FilterDialect } from './filter-dialect.ts';

/** A query ready to run: compiled by Kysely, or raw SQL with positional parameters. */
export type Query =
  | CompiledQuery
  | { compile(): CompiledQuery }
  | { sql: string; parameters: readonly unknown[] };

/** What a collection column holds; each dialect maps it to a concrete SQL type. */
export type ColumnKind = 'text' | 'number' | 'bool' | 'json' | 'jsonArray';

/** A column of a collection table, dialect-neutral. */
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  primaryKey?: boolean;
  /** Nullable columns default to NULL; others to the kind's zero value. */
  nullable?: boolean;
  /** The column this one takes its data from when the table is altered. */
  from?: { name: string; kind: ColumnKind };
}

/** A parsed index of a collection (see schema/indexes.ts). */
export interface IndexSpec {
  name: string;
  unique: boolean;
  /** `nocase`: compare case-insensitively (SQLite COLLATE NOCASE, PostgreSQL lower()). */
  columns: { name: string; desc: boolean; nocase?: boolean }[];
  /** A partial index that skips rows where this column is empty. */
  where?: { notEmpty: string };
}

/** How to bring a table from its old shape to a new one, without losing data. */
export interface TablePlan {
  /** Current table name, or undefined when the table is new. */
  from?: string;
  name: string;
  columns: ColumnSpec[];
  indexes: IndexSpec[];
}

/** Result of a write statement. */
export interface RunResult {
  changes: number;
}

/** Runs statements: the database itself, or an open transaction. */
export interface Executor {
  all<T = Record<string, unknown>>(q: Query): Promise<T[]>;
  first<T = Record<string, unknown>>(q: Query): Promise<T | undefined>;
  run(q: Query): Promise<RunResult>;
  /** Runs SQL text without parameters (DDL, several statements). */
  exec(sql: string): Promise<void>;
}

/** An open transaction. `afterCommit` callbacks run once it has committed. */
export interface Transaction extends Executor {
  afterCommit(fn: () => void): void;
}

/**
 * The one place that knows a dialect. Everything dialect-specific is a method here,
 * implemented in `sqlite/` and `postgres/` and tested against both.
 */
export interface Database extends Executor {
  readonly dialect: 'sqlite' | 'postgres';
  /** A compile-only Kysely instance: build queries, then run them with this Database. */
  readonly qb: Kysely<any>;
  /**
   * Runs `fn` in a transaction; commits when it resolves, rolls back when it throws.
   * Nested calls with the transaction's executor use savepoints.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;

  /** Quotes an identifier for this dialect. */
  ident(name: string): string;
  /** The value to bind for a boolean. */
  bool(value: boolean): unknown;
  /** The column expression that gives insertion order (`@rowid`, default sort). */
  readonly rowIdColumn: string;
  /** SQL pieces of the filter compiler. */
  readonly filter: FilterDialect;
  /** A condition that is true when the JSON array in `column` holds `value`. */
  jsonArrayHas(column: string, value: unknown): RawBuilder<boolean>;
  /** Creates, alters or rebuilds a collection table as the plan says, keeping its rows. */
  applyTablePlan(tx: Transaction, plan: TablePlan): Promise<void>;
  dropTable(tx: Transaction, name: string): Promise<void>;
  /**
   * Brings a table's full-text index to cover exactly `columns` (none: no index), after
   * its table changed; `previous` is the table's former name when it was renamed.
   */
  syncSearch(tx: Transaction, table: string, columns: string[], previous?: string): Promise<void>;
  /** Creates or replaces a view. */
  createView(tx: Transaction, name: string, select: string, replace?: string): Promise<void>;
  dropView(tx: Transaction, name: string): Promise<void>;
  /** The columns a SELECT would return, without running it on data. */
  queryColumns(tx: Executor, select: string): Promise<{ name: string; kind: ColumnKind | 'unknown' }[]>;
  /**
   * Serialises transactions that take the same key, until the calling one ends. SQLite
   * writes are serialised anyway; PostgreSQL takes a transaction advisory lock.
   */
  lockKey(tx: Transaction, key: string): Promise<void>;
  /** True when a table or view with this name exists. */
  hasTable(ex: Executor, name: string): Promise<boolean>;
  /**
   * Tells every node that `_changes` grew up to `seq` (PostgreSQL: NOTIFY with the seq as
   * its only payload). SQLite has one process: nothing to do.
   */
  notifyChanges(seq: number): Promise<void>;
  /**
   * Calls `wake` whenever another node announced changes, and again after a lost listening
   * connection is back (so the caller catches up from its cursor). Returns the stop function.
   */
  listenChanges(wake: () => void): Promise<() => Promise<void>>;
  /**
   * Announces `payload` on a named topic (e.g. `schema`) to every node, this one included
   * (PostgreSQL: NOTIFY on the topic's channel of the app's schema). SQLite has one
   * process: nothing to do.
   */
  notify(topic: string, payload: string): Promise<void>;
  /**
   * Calls `wake` with the payload of each announcement on `topic`, and with none after a
   * lost listening connection is back (anything may have been missed). Returns the stop function.
   */
  listen(topic: string, wake: (payload?: string) => void): Promise<() => Promise<void>>;
}

/** Errors from drivers, mapped once into stable codes. */
export type DbErrorCode =
  | 'unique_violation'
  | 'foreign_key_violation'
  | 'not_null_violation'
  | 'syntax_error'
  | 'busy'
  /** Text the database cannot store, e.g. a NUL character on PostgreSQL. */
  | 'invalid_text'
  | 'unknown';

export class DbError extends Error {
  readonly code: DbErrorCode;
  /** For unique violations: the columns involved when the driver says so. */
  readonly columns: string[];
  constructor(code: DbErrorCode, message: string, columns: string[] = [], cause?: unknown) {
    super(message, { cause });
    this.name = 'DbError';
    this.code = code;
    this.columns = columns;
  }
}

/** Normalises a Query into SQL text and parameters. */
export function toSql(q: Query): { sql: string; parameters: readonly unknown[] } {
  if ('compile' in q && typeof q.compile === 'function') return q.compile();
  return q as { sql: string; parameters: readonly unknown[] };
}
