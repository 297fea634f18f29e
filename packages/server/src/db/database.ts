import type { Readable } from 'node:stream';
import type { Compilable, CompiledQuery, Kysely, SelectQueryBuilder } from 'kysely';
import type { FilterDialect } from './filter-dialect.ts';
import type { SystemTables } from './system-tables.ts';

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

/**
 * The row a query returns: the typed row of a query built with `db.sys`, or a plain
 * record for raw SQL and for collection tables (`db.qb`, whose tables are dynamic).
 */
export type Row<Q> =
  Q extends Compilable<infer O>
    ? string extends keyof O
      ? Record<string, unknown>
      : O extends object
        ? O
        : Record<string, unknown>
    : Record<string, unknown>;

/**
 * What `all<T>()`/`first<T>()` return: `T` when the caller names it, else the query's row.
 * (`T` comes first so that `all<MyRow>(q)` keeps working.)
 */
export type RowOr<T, Q> = [T] extends [never] ? Row<Q> : T;

/**
 * Runs statements: the database itself, or an open transaction. Rows of a query built
 * with `db.sys` come back typed; an implementation casts once (`as Executor['all']`).
 */
export interface Executor {
  all<T = never, Q extends Query = Query>(q: Q): Promise<RowOr<T, Q>[]>;
  first<T = never, Q extends Query = Query>(q: Q): Promise<RowOr<T, Q> | undefined>;
  run(q: Query): Promise<RunResult>;
  /** Runs SQL text without parameters (DDL, several statements). */
  exec(sql: string): Promise<void>;
}

/** A write that answers rows (`UPDATE … RETURNING`), run as one statement. */
export interface ReturningWriter {
  /**
   * Runs one write statement with RETURNING and answers its rows: on its own (one round
   * trip on PostgreSQL, the writer on SQLite), or in the caller's transaction when called
   * from inside one's work.
   */
  writeReturning<T = Record<string, unknown>>(q: Query): Promise<T[]>;
}

/** An open transaction (or a savepoint of one). */
export interface Transaction extends Executor {
  /** The outermost transaction this one belongs to (itself unless it is a savepoint). */
  readonly outermost: Transaction;
  /**
   * Runs `fn` once the outermost transaction has committed; dropped when this
   * transaction or savepoint rolls back.
   */
  afterCommit(fn: () => void): void;
  /**
   * Runs `fn` in a savepoint of this transaction, on its connection: `fn`'s writes commit
   * with the transaction, and a throw rolls back only what `fn` did (then rethrows).
   * Savepoints of one transaction run one at a time.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

/**
 * A connection to the database: runs statements, opens transactions, closes. This is
 * the role most code needs (stores, services); the other roles hang off `Database`.
 */
export interface Connection extends Executor, ReturningWriter {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * A compile-only Kysely instance for collection tables (dynamic, so untyped): build
   * queries, then run them with this Database.
   */
  readonly qb: Kysely<any>;
  /** The same builder typed with ForgeBase's own tables: use it for every system table. */
  readonly sys: Kysely<SystemTables>;
  /**
   * Runs `fn` in a transaction; commits when it resolves, rolls back when it throws.
   * Called from inside a running transaction's work (its async context: a hook, a service
   * it calls), it joins that transaction as a savepoint (`tx.transaction`), never waits
   * for it nor takes another connection. Once that transaction ended, a late call (e.g.
   * from a timer started inside it) gets a transaction of its own.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Runs reads that must not write (a view collection's query): PostgreSQL runs them in a
   * READ ONLY transaction of their own, so a function that writes fails with a DbError
   * `read_only`; SQLite runs them as they are (a SELECT there cannot write). Use it outside
   * a transaction only: inside one, reads belong on that transaction.
   */
  readOnly<T>(fn: (ex: Executor) => Promise<T>): Promise<T>;
  /**
   * Runs reads that must agree with each other (a page and its count, a live query's
   * re-run): PostgreSQL runs them in one REPEATABLE READ READ ONLY transaction, so they all
   * see one snapshot; SQLite runs them as they are (its reads are synchronous: the
   * statements issued in one turn, like a page and its count, see one state).
   */
  readSnapshot<T>(fn: (ex: Executor) => Promise<T>): Promise<T>;
  /**
   * True when the database role ForgeBase connects as is a PostgreSQL superuser, which
   * could read the host's files through SQL (checked at start, logged as a warning).
   * Always false on SQLite.
   */
  isSuperuserRole(): Promise<boolean>;
  /** The connections and the work waiting for one, right now (read by the metrics at scrape time). */
  stats(): DbStats;
  /** Bytes the app's data takes (SQLite: the database file's pages; PostgreSQL: the schema's tables and indexes). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** A database's load at one moment, for `GET /metrics` and the metrics summary. */
export interface DbStats {
  /** Waiting for a connection: write jobs queued for the SQLite writer, clients waiting for a pooled PostgreSQL connection. */
  queued: number;
  /** Open connections (SQLite: the writer and the reader). */
  connections: number;
  /** Connections running work now (SQLite: 1 while the writer commits a group). */
  busy: number;
}

/**
 * Schema DDL for collection tables, views and their search indexes: what the schema
 * service runs when a collection changes. Each call runs inside the caller's transaction.
 */
export interface SchemaDdl {
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
  /** True when a table or view with this name exists (names compare case-insensitively). */
  hasTable(ex: Executor, name: string): Promise<boolean>;
  /**
   * Refreshes the planner's statistics of a table (ANALYZE), after a bulk load or an index
   * change, so lists pick their indexes from current figures. Bounded on SQLite (a sample).
   */
  analyze(ex: Executor, table: string): Promise<void>;
}

/** Stops listening; resolves once the listening connection is closed. */
export type StopListening = () => Promise<void>;

/**
 * What the nodes sharing one database use to coordinate: short messages on named
 * channels (PostgreSQL LISTEN/NOTIFY, channel names suffixed by the app's schema so apps
 * sharing a database do not hear each other) and transaction-scoped locks. SQLite has one
 * process: messages go nowhere and every write transaction already runs alone.
 */
export interface ChangeBus {
  /** True when other nodes may share the database (PostgreSQL): messages reach them. */
  readonly shared: boolean;
  /** Sends `payload` (short text, under 8000 bytes) to every node listening on `channel`. */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Calls `onMessage` with each payload another node (or this one) sent on `channel`,
   * and `onReconnect` after a lost listening connection is back (messages sent meanwhile
   * are lost: catch up from durable state). Returns the stop function.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<StopListening>;
  /**
   * Serialises transactions that take the same key, until the calling one ends. SQLite
   * writes are serialised anyway; PostgreSQL takes a transaction advisory lock.
   */
  lockKey(tx: Transaction, key: string): Promise<void>;
  /**
   * Makes a SELECT run inside a transaction lock the rows it returns and pass over rows
   * another transaction holds (PostgreSQL `FOR UPDATE SKIP LOCKED`), so claimers on
   * several nodes take disjoint rows (the job queue's claim). Unchanged on SQLite, whose
   * write transactions already run one at a time.
   */
  claimRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
}

/** The bus channel on which the change log announces new rows. */
export const CHANGES_CHANNEL = 'changes';

/**
 * What a reader of the change log saw of the transactions that write it, for commit order
 * (see ChangeOrder): every seq up to `upTo` had been taken, and these were the transactions
 * still holding a write on `_changes` right after (`unknown`: one had no id yet).
 */
export interface WriterSighting {
  upTo: number;
  xids: readonly number[];
  unknown: boolean;
}

/** One read of `_changes` after a seq, with what the reading snapshot knew. */
export interface ChangeRead {
  rows: Record<string, unknown>[];
  /**
   * True when a seq this read does not show, up to `sighting.upTo`, is a permanent gap (a
   * rolled-back write): every transaction of `sighting` had ended (committed or rolled
   * back) before this read's snapshot. Without a sighting: true only on SQLite.
   */
  settled(sighting: WriterSighting | undefined): boolean;
}

/**
 * How the change log reads in commit order. On PostgreSQL a seq is taken at insert but
 * becomes visible at commit, so a later seq can be seen before an earlier one; the reader
 * asks who may still commit instead of waiting for gaps. SQLite has one writer: a reader
 * sees commits whole and in seq order, so every gap it sees is permanent.
 */
export interface ChangeOrder {
  /** SQL for the running transaction's id, evaluated inside the INSERT of a change row. */
  readonly txIdSql: string;
  /**
   * Rows of `_changes` with seq > `after` (plus those of `missing`, seqs read again in
   * case they committed since), oldest first, at most `limit` of them.
   */
  read(after: number, limit: number, missing?: readonly number[]): Promise<ChangeRead>;
  /** Which seqs were taken and who may still commit some (undefined: nobody can, SQLite). */
  sightWriters(): Promise<WriterSighting | undefined>;
}

/** Adds one entry to an archive being written; resolves once its stream was read to the end. */
export type AddEntry = (name: string, body: Readable, opts?: { compress?: boolean }) => Promise<void>;

/** Streams one entry of an archive being restored; undefined when the archive has none of that name. */
export type OpenEntry = (name: string) => Promise<Readable | undefined>;

/**
 * A consistent copy of the whole app database and its restore, for backups. Each dialect
 * writes its own entries (SQLite: one `data.db` file made by `VACUUM INTO`; PostgreSQL: the
 * schema's tables through COPY in one REPEATABLE READ snapshot) and reads them back.
 */
export interface DataSnapshot {
  /** Writes the entries of a snapshot taken while writes go on; `tmpDir` is scratch space. */
  dump(add: AddEntry, tmpDir: string): Promise<void>;
  /**
   * Replaces every table (schema and rows) with the snapshot's, in one transaction: a
   * failure leaves the current data as it was. Sequences never move backwards (the change
   * log's seq stays above what consumers have seen). Throws when the archive holds no
   * snapshot of this dialect.
   */
  restore(open: OpenEntry, tmpDir: string): Promise<void>;
}

/**
 * The one place that knows a dialect, split by role: the connection itself
 * (statements, transactions), `ddl` for collection tables, `filter` for the SQL pieces
 * queries are built from, `bus` for messages and locks between nodes, `changeOrder` for
 * reading the change log in commit order, `snapshot` for backups. Implemented in `sqlite/` and `postgres/` and
 * tested against both.
 */
export interface Database extends Connection {
  readonly ddl: SchemaDdl;
  readonly filter: FilterDialect;
  readonly bus: ChangeBus;
  readonly changeOrder: ChangeOrder;
  readonly snapshot: DataSnapshot;
}

/** Told of every statement run and how long it took (`serve --dev` logs them). */
export type SqlTrace = (sql: string, ms: number) => void;

/** Errors from drivers, mapped once into stable codes. */
export type DbErrorCode =
  | 'unique_violation'
  | 'foreign_key_violation'
  | 'not_null_violation'
  | 'syntax_error'
  | 'busy'
  /** Text the database cannot store, e.g. a NUL character on PostgreSQL. */
  | 'invalid_text'
  /** A write inside a read-only transaction (see Connection.readOnly). */
  | 'read_only'
  /** A read ran past the query timeout and was cancelled (config `queryTimeoutSeconds`). */
  | 'query_timeout'
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
