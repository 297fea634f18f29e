import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Kysely as KyselyDb } from 'kysely';
import {
  type ChangeBus,
  type ChangeOrder,
  type Database,
  type DataSnapshot,
  type DbStats,
  type Executor,
  type Query,
  type RunResult,
  type SchemaDdl,
  type SqlTrace,
  type Transaction,
  toSql,
} from '../database.ts';
import type { FilterDialect } from '../filter-dialect.ts';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from '../kysely.ts';
import type { SystemTables } from '../system-tables.ts';
import { type TxDriver, TxScopes } from '../tx-scope.ts';
import { sqliteBus } from './bus.ts';
import { sqliteChangeOrder } from './change-order.ts';
import { Connection, ResultCache, VOLATILE_SQL } from './connection.ts';
import { sqliteFilter } from './filter.ts';
import { sqliteSnapshot } from './snapshot.ts';
import { createSqliteDdl } from './tables.ts';

export interface SqliteOptions {
  /** File path, or ':memory:' for tests that need no file. */
  path: string;
  /** `FULL` survives power loss; `NORMAL` (default) survives a process crash. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How many queued write jobs share one commit at most. */
  maxGroup?: number;
  /**
   * A view query (`readOnly`) is cancelled once it has run this long, checked between the
   * rows it yields (node:sqlite has no interrupt). 0: no limit.
   */
  queryTimeoutMs?: number;
  /** Told of every statement and its duration (development logs, metrics). */
  trace?: SqlTrace;
  /** Told of every group commit: how many write jobs shared it (metrics). */
  onCommit?: (jobs: number) => void;
}

interface WriteJob {
  fn: (tx: Transaction) => Promise<unknown>;
  /** Runs alone on the writer connection, outside a transaction (a restore's ATTACH). */
  exclusive?: (conn: DatabaseSync) => void;
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
  readonly filter: FilterDialect = sqliteFilter;
  readonly bus: ChangeBus = sqliteBus;
  readonly changeOrder: ChangeOrder = sqliteChangeOrder(this);
  readonly ddl: SchemaDdl;
  readonly snapshot: DataSnapshot;
  readonly qb: KyselyDb<any>;
  readonly sys: KyselyDb<SystemTables>;
  readonly #writer: Connection;
  readonly #reader: Connection;
  readonly #queue: WriteJob[] = [];
  readonly #results: ResultCache | undefined;
  readonly #maxGroup: number;
  readonly #scopes = new TxScopes();
  readonly #driver: TxDriver;
  readonly #timedReads: Executor;
  readonly #onCommit: ((jobs: number) => void) | undefined;
  #draining = false;
  #closed = false;

  constructor(opts: SqliteOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.#writer = new Connection(opts.path, false, opts.trace);
    const w = this.#writer.raw;
    w.exec('PRAGMA journal_mode = WAL');
    w.exec(`PRAGMA synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    w.exec('PRAGMA foreign_keys = OFF');
    w.exec('PRAGMA temp_store = MEMORY');
    w.exec('PRAGMA cache_size = -16000');
    w.exec('PRAGMA journal_size_limit = 67108864');
    this.#reader = opts.path === ':memory:' ? this.#writer : new Connection(opts.path, false, opts.trace);
    if (this.#reader !== this.#writer) {
      this.#reader.raw.exec('PRAGMA query_only = ON');
      this.#reader.raw.exec('PRAGMA cache_size = -16000');
    }
    // with one connection for both, data_version would not see our own writes
    this.#results = this.#reader !== this.#writer ? new ResultCache(this.#reader.raw) : undefined;
    this.#maxGroup = opts.maxGroup ?? 64;
    this.#onCommit = opts.onCommit;
    this.ddl = createSqliteDdl(this.#writer);
    this.snapshot = sqliteSnapshot(opts.path, (fn) => this.#exclusive(fn));
    const writer = this.#writer;
    this.#driver = {
      statements: {
        all: async <T>(q: Query) => writer.all(q) as T[],
        first: async <T>(q: Query) => writer.all(q)[0] as T | undefined,
        run: async (q: Query) => writer.run(q),
        exec: async (sql: string) => writer.exec(sql),
      },
      control: (sql) => writer.control(sql),
    };
    const timeoutMs = opts.queryTimeoutMs ?? 0;
    this.#timedReads = {
      all: async <T>(q: Query) => this.#read(q, timeoutMs) as T[],
      first: async <T>(q: Query) => this.#read(q, timeoutMs)[0] as T | undefined,
      run: (q: Query) => this.run(q),
      exec: (sql: string) => this.exec(sql),
    } as Executor;
    this.qb = new Kysely<any>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
    this.sys = this.qb as KyselyDb<SystemTables>;
  }

  /** Reads through the result cache; rows are shared, so callers must not mutate them. */
  #read(q: Query, timeoutMs = 0): unknown[] {
    const reader = this.#reader;
    const fetch = (c: Query) => (timeoutMs > 0 ? reader.allWithin(c, timeoutMs) : reader.all(c));
    if (!this.#results) return fetch(q);
    const compiled = toSql(q);
    if (VOLATILE_SQL.test(compiled.sql)) return fetch(compiled);
    const key = compiled.parameters.length
      ? `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`
      : compiled.sql;
    let rows = this.#results.get(key);
    if (!rows) {
      rows = fetch(compiled);
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

  writeReturning<T>(q: Query): Promise<T[]> {
    return this.transaction(async (tx) => (await tx.all(q)) as T[]);
  }

  exec(sql: string): Promise<void> {
    return this.transaction(async (tx) => tx.exec(sql));
  }

  async isSuperuserRole(): Promise<boolean> {
    return false;
  }

  stats(): DbStats {
    return {
      queued: this.#queue.length,
      connections: this.#reader === this.#writer ? 1 : 2,
      busy: this.#draining ? 1 : 0,
    };
  }

  async sizeBytes(): Promise<number> {
    const row = this.#reader.all({
      sql: 'SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()',
      parameters: [],
    })[0] as { size: number } | undefined;
    return Number(row?.size ?? 0);
  }

  // a SELECT cannot write on SQLite (no writing functions are registered): nothing to guard;
  // the reads are timed (the query timeout)
  readOnly<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    return fn(this.#timedReads);
  }

  readSnapshot<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    return fn(this);
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    // inside a running write: a savepoint of it (queueing would wait for ourselves)
    const open = this.#scopes.current();
    if (open) return this.#scopes.nest(open, fn);
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

  /** Queues `fn` to run alone on the writer, outside a transaction, between two commits. */
  #exclusive(fn: (conn: DatabaseSync) => void): Promise<void> {
    if (this.#scopes.current()) return Promise.reject(new Error('cannot run inside a transaction'));
    if (this.#closed) return Promise.reject(new Error('database is closed'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ fn: async () => undefined, exclusive: fn, resolve: () => resolve(), reject });
      if (!this.#draining) {
        this.#draining = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  #runExclusive(job: WriteJob): void {
    try {
      job.exclusive?.(this.#writer.raw);
      job.resolve(undefined);
    } catch (e) {
      job.reject(e);
    } finally {
      // the schema may have changed: cached statements and results are stale
      this.#writer.clearCache();
      this.#reader.clearCache();
      this.#results?.invalidate();
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        if (this.#queue[0]?.exclusive) {
          this.#runExclusive(this.#queue.shift()!);
          continue;
        }
        const stop = this.#queue.findIndex((j) => j.exclusive);
        const group = this.#queue.splice(0, Math.min(this.#maxGroup, stop < 0 ? this.#maxGroup : stop));
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
      const scope = this.#scopes.open(this.#driver);
      w.control('SAVEPOINT fb_job');
      try {
        const value = await this.#scopes.run(scope, job.fn);
        this.#scopes.end(scope);
        w.control('RELEASE fb_job');
        outcomes.push({ ok: true, value, after: scope.after });
      } catch (e) {
        this.#scopes.end(scope);
        w.control('ROLLBACK TO fb_job');
        w.control('RELEASE fb_job');
        outcomes.push({ ok: false, value: e, after: [] });
      }
    }
    try {
      w.control('COMMIT');
      this.#results?.invalidate();
      this.#onCommit?.(group.length);
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

  // one process: whoever changes something has already told this process's services
  async notify(_topic: string, _payload: string): Promise<void> {}

  async listen(_topic: string, _wake: (payload?: string) => void): Promise<() => Promise<void>> {
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
