import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StatementSync } from 'node:sqlite';
import type { Kysely as KyselyDb, RawBuilder } from 'kysely';
import {
  type ColumnKind,
  type ColumnSpec,
  type Database,
  type Executor,
  type Query,
  type RunResult,
  type TablePlan,
  type Transaction,
  toSql,
} from './database.ts';
import type { FilterDialect } from './filter-dialect.ts';
import { type KindSql, zeroLiteral } from './kinds.ts';
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from './kysely.ts';
import { applyTablePlan, type TableDialect } from './rebuild.ts';
import { Connection, mapSqliteError, ResultCache, VOLATILE_SQL } from './sqlite-connection.ts';

export interface SqliteOptions {
  /** File path, or ':memory:' for tests that need no file. */
  path: string;
  /** `FULL` survives power loss; `NORMAL` (default) survives a process crash. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How many queued write jobs share one commit at most. */
  maxGroup?: number;
}

function jsonPath(path: (string | number)[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${JSON.stringify(p)}`)).join('')}`;
}

const sqliteFilter: FilterDialect = {
  joinJsonEach: (column, alias) => sql`LEFT JOIN json_each(${column}) AS ${sql.id(alias)}`,
  jsonExtract: (column, path) => sql`json_extract(${column}, ${jsonPath(path)})`,
  jsonExtractText: (column, path) => sql`CAST(json_extract(${column}, ${jsonPath(path)}) AS TEXT)`,
  jsonLiteral: (value, type) => (type === 'bool' ? sql`(CASE WHEN ${value} THEN 1 ELSE 0 END)` : value),
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

const sqliteKinds: KindSql = {
  ident: quoteIdent,
  indexColumn: (name, nocase) => `${quoteIdent(name)}${nocase ? ' COLLATE NOCASE' : ''}`,
  columnDef(c: ColumnSpec): string {
    const name = quoteIdent(c.name);
    if (c.primaryKey) return `${name} TEXT PRIMARY KEY NOT NULL`;
    switch (c.kind) {
      case 'text':
        return `${name} TEXT DEFAULT '' NOT NULL`;
      case 'number':
        // REAL, not NUMERIC: integers past 2^53 would come back as int64 and fail to read
        return `${name} REAL DEFAULT 0 NOT NULL`;
      case 'bool':
        return `${name} BOOLEAN DEFAULT FALSE NOT NULL`;
      case 'json':
        return `${name} JSON DEFAULT NULL`;
      case 'jsonArray':
        return `${name} JSON DEFAULT '[]' NOT NULL`;
    }
  },
  convert(col: string, from: ColumnKind, to: ColumnKind): string {
    if (from === to) return col;
    const key = `${from}>${to}`;
    switch (key) {
      case 'text>number':
        return `CAST(${col} AS REAL)`;
      case 'text>bool':
        return `(lower(${col}) IN ('true', '1', 'yes', 'on'))`;
      case 'text>json':
        return `(CASE WHEN ${col} = '' THEN NULL ELSE json_quote(${col}) END)`;
      case 'text>jsonArray':
        return `(CASE WHEN ${col} = '' THEN '[]' ELSE json_array(${col}) END)`;
      case 'number>text':
      case 'number>json':
        // REAL 7.0 reads back as 7: keep integral values free of the ".0"
        return `(CASE WHEN ${col} = CAST(${col} AS INTEGER) THEN CAST(CAST(${col} AS INTEGER) AS TEXT) ELSE CAST(${col} AS TEXT) END)`;
      case 'number>bool':
        return `(${col} != 0)`;
      case 'bool>text':
        return `(CASE WHEN ${col} THEN 'true' ELSE 'false' END)`;
      case 'bool>number':
        return `(CASE WHEN ${col} THEN 1 ELSE 0 END)`;
      case 'bool>json':
        return `(CASE WHEN ${col} THEN 'true' ELSE 'false' END)`;
      case 'json>text':
        return `COALESCE(CASE WHEN json_type(${col}) = 'text' THEN json_extract(${col}, '$') ELSE ${col} END, '')`;
      case 'json>jsonArray':
        return `(CASE WHEN json_type(${col}) = 'array' THEN ${col} ELSE '[]' END)`;
      case 'jsonArray>text':
        return `COALESCE(json_extract(${col}, '$[#-1]'), '')`;
      case 'jsonArray>json':
        return col;
      default:
        return zeroLiteral(to);
    }
  },
};

// SQLite cannot change a column's type or drop an indexed column in place, so most
// changes rebuild the table; rowids are copied so insertion order survives.
const sqliteTables: TableDialect = {
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

/** The FTS5 table that indexes a collection table. */
function searchTable(table: string): string {
  return `_fts_${table}`;
}

function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** An FTS5 query: every term, quoted (no FTS syntax from users), as a prefix, in one column. */
function ftsQuery(column: string, terms: string[]): string {
  const quoted = terms.map((t) => `"${t.replaceAll('"', '""')}"*`).join(' AND ');
  return `{${column}} : (${quoted})`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface WriteJob {
  fn: (tx: Transaction) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * SQLite on node:sqlite. One writer connection serialises all writes through a queue;
 * jobs queued together share one commit (each in its own savepoint, so one failure
 * rolls back only its own job). Reads use a separate connection and never wait for it:
 * WAL lets them see the last committed state.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly rowIdColumn = '_rowid_';
  readonly filter = sqliteFilter;
  readonly qb: KyselyDb<any>;
  readonly #writer: Connection;
  readonly #reader: Connection;
  readonly #queue: WriteJob[] = [];
  readonly #results: ResultCache | undefined;
  readonly #maxGroup: number;
  #draining = false;
  #closed = false;

  constructor(opts: SqliteOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.#writer = new Connection(opts.path, false);
    const w = this.#writer.raw;
    w.exec('PRAGMA journal_mode = WAL');
    w.exec(`PRAGMA synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    w.exec('PRAGMA foreign_keys = OFF');
    w.exec('PRAGMA temp_store = MEMORY');
    w.exec('PRAGMA cache_size = -16000');
    w.exec('PRAGMA journal_size_limit = 67108864');
    this.#reader = opts.path === ':memory:' ? this.#writer : new Connection(opts.path, false);
    if (this.#reader !== this.#writer) {
      this.#reader.raw.exec('PRAGMA query_only = ON');
      this.#reader.raw.exec('PRAGMA cache_size = -16000');
    }
    // with one connection for both, data_version would not see our own writes
    this.#results = this.#reader !== this.#writer ? new ResultCache(this.#reader.raw) : undefined;
    this.#maxGroup = opts.maxGroup ?? 64;
    this.qb = new Kysely<any>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
  }

  ident(name: string): string {
    return quoteIdent(name);
  }

  bool(value: boolean): unknown {
    return value ? 1 : 0;
  }

  jsonArrayHas(column: string, value: unknown): RawBuilder<boolean> {
    return sql<boolean>`EXISTS (SELECT 1 FROM json_each(${sql.ref(column)}) WHERE json_each.value = ${value})`;
  }

  /** Reads through the result cache; rows are shared, so callers must not mutate them. */
  #read(q: Query): unknown[] {
    if (!this.#results) return this.#reader.all(q);
    const compiled = toSql(q);
    if (VOLATILE_SQL.test(compiled.sql)) return this.#reader.all(compiled);
    const key = compiled.parameters.length
      ? `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`
      : compiled.sql;
    let rows = this.#results.get(key);
    if (!rows) {
      rows = this.#reader.all(compiled);
      this.#results.set(key, rows);
    }
    return rows;
  }

  async all<T>(q: Query): Promise<T[]> {
    return this.#read(q) as T[];
  }

  async first<T>(q: Query): Promise<T | undefined> {
    return this.#read(q)[0] as T | undefined;
  }

  run(q: Query): Promise<RunResult> {
    return this.transaction(async (tx) => tx.run(q));
  }

  exec(sql: string): Promise<void> {
    return this.transaction(async (tx) => tx.exec(sql));
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#draining) {
        // start on the next turn of the event loop, so writes that arrive in the same
        // turn (concurrent requests) share one commit
        this.#draining = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0, this.#maxGroup);
        await this.#runGroup(group);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #runGroup(group: WriteJob[]): Promise<void> {
    const w = this.#writer;
    const outcomes: { ok: boolean; value: unknown; after: (() => void)[] }[] = [];
    try {
      w.control('BEGIN IMMEDIATE');
    } catch (e) {
      for (const job of group) job.reject(e);
      return;
    }
    for (const job of group) {
      const after: (() => void)[] = [];
      const tx = this.#txExecutor(after, 0);
      w.control('SAVEPOINT fb_job');
      try {
        const value = await job.fn(tx);
        w.control('RELEASE fb_job');
        outcomes.push({ ok: true, value, after });
      } catch (e) {
        w.control('ROLLBACK TO fb_job');
        w.control('RELEASE fb_job');
        outcomes.push({ ok: false, value: e, after: [] });
      }
    }
    try {
      w.control('COMMIT');
      this.#results?.invalidate();
    } catch (e) {
      try {
        w.control('ROLLBACK');
      } catch {
        // the failed COMMIT may already have rolled back
      }
      for (const job of group) job.reject(e);
      return;
    }
    group.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) {
        job.resolve(o.value);
        for (const fn of o.after) queueMicrotask(fn);
      } else job.reject(o.value);
    });
  }

  #txExecutor(
    after: (() => void)[],
    depth: number,
  ): Transaction & {
    transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  } {
    const w = this.#writer;
    return {
      all: async <T>(q: Query) => w.all(q) as T[],
      first: async <T>(q: Query) => w.all(q)[0] as T | undefined,
      run: async (q: Query) => w.run(q),
      exec: async (sql: string) => w.exec(sql),
      afterCommit: (fn: () => void) => {
        after.push(fn);
      },
      transaction: async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
        const name = `fb_nested_${depth + 1}`;
        w.control(`SAVEPOINT ${name}`);
        try {
          const v = await fn(this.#txExecutor(after, depth + 1));
          w.control(`RELEASE ${name}`);
          return v;
        } catch (e) {
          w.control(`ROLLBACK TO ${name}`);
          w.control(`RELEASE ${name}`);
          throw e;
        }
      },
    };
  }

  applyTablePlan(tx: Transaction, plan: TablePlan): Promise<void> {
    return applyTablePlan(sqliteTables, tx, plan);
  }

  async dropTable(tx: Transaction, name: string): Promise<void> {
    await tx.exec(`DROP TABLE IF EXISTS ${quoteIdent(searchTable(name))}`);
    await tx.exec(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
  }

  // An FTS5 index over the table's rows (external content), kept in step by triggers.
  async syncSearch(tx: Transaction, table: string, columns: string[], previous?: string): Promise<void> {
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

  async createView(tx: Transaction, name: string, select: string, replace?: string): Promise<void> {
    if (replace) await tx.exec(`DROP VIEW IF EXISTS ${quoteIdent(replace)}`);
    await tx.exec(`DROP VIEW IF EXISTS ${quoteIdent(name)}`);
    await tx.exec(`CREATE VIEW ${quoteIdent(name)} AS ${select}`);
    // SQLite checks a view's tables and columns only when it is read: read it now, so a
    // view whose source is gone fails here, as it does on PostgreSQL
    await tx.all({ sql: `SELECT * FROM ${quoteIdent(name)} LIMIT 0`, parameters: [] });
  }

  async dropView(tx: Transaction, name: string): Promise<void> {
    await tx.exec(`DROP VIEW IF EXISTS ${quoteIdent(name)}`);
  }

  async queryColumns(
    _ex: Executor,
    select: string,
  ): Promise<{ name: string; kind: ColumnKind | 'unknown' }[]> {
    let stmt: StatementSync;
    try {
      stmt = this.#writer.raw.prepare(select);
    } catch (e) {
      throw mapSqliteError(e);
    }
    return stmt.columns().map((c) => ({ name: c.name, kind: declaredKind(c.type) }));
  }

  async lockKey(): Promise<void> {
    // one writer: every write transaction already runs alone
  }

  async hasTable(ex: Executor, name: string): Promise<boolean> {
    const row = await ex.first({
      sql: "SELECT 1 AS x FROM sqlite_master WHERE type IN ('table', 'view') AND lower(name) = lower(?)",
      parameters: [name],
    });
    return row !== undefined;
  }

  // one process: the record service's after-commit hook already wakes every consumer
  async notifyChanges(_seq: number): Promise<void> {}

  async listenChanges(_wake: () => void): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // let queued writes finish first
    await this.transaction(async () => undefined).catch(() => undefined);
    this.#closed = true;
    try {
      this.#writer.raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // a checkpoint is an optimisation; closing still keeps every commit
    }
    if (this.#reader !== this.#writer) this.#reader.raw.close();
    this.#writer.raw.close();
  }
}

function declaredKind(type: string | null): ColumnKind | 'unknown' {
  const t = (type ?? '').toUpperCase();
  if (t === 'TEXT') return 'text';
  if (t === 'NUMERIC' || t === 'REAL' || t === 'INTEGER') return 'number';
  if (t === 'BOOLEAN') return 'bool';
  if (t === 'JSON') return 'json';
  return 'unknown';
}
