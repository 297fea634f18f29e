import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  type HranaCol,
  HranaFailure,
  type HranaStmt,
  type HranaStmtResult,
  valueFromSqlite,
  valueToSqlite,
} from './hrana-proto.ts';
import { createSqlPolicy, type PrepareFacts } from './sql-policy.ts';
import { sqliteCodeName } from './sqlite-codes.ts';

/** A database's quotas (stored with its metadata; defaults in database-service.ts). */
export interface TenantLimits {
  /** Bytes the file may grow to (enforced by SQLite's max_page_count: writes beyond fail with SQLITE_FULL). */
  maxSizeBytes: number;
  /** A statement still producing rows after this long is stopped (checked between rows). */
  statementTimeoutMs: number;
  /** Rows one statement may return in one response. */
  maxRows: number;
  /** An interactive transaction idle this long is rolled back and its baton expires. */
  idleTransactionMs: number;
}

interface Prepared {
  stmt: StatementSync;
  cols: HranaCol[];
  facts: PrepareFacts;
}

/** A connection with its statement cache and authorizer. */
interface Conn {
  db: DatabaseSync;
  cache: Map<string, Prepared>;
  policy: ReturnType<typeof createSqlPolicy>;
}

/** Statements that start or end a transaction (never run on the reader). */
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

const CACHE_SIZE = 256;
const LATENCY_SAMPLES = 1024;

/** What `GET /api/databases/{name}/stats` reports of an open database (since it was opened). */
export interface TenantCounters {
  queries: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

/** `BEGIN TRANSACTION READONLY` is libSQL's (the client's `transaction('read')`); SQLite has no such syntax. */
const BEGIN_READONLY = /^\s*BEGIN\s+(TRANSACTION\s+)?READONLY\s*;?\s*$/i;

/**
 * One tenant database: its SQLite file opened once (WAL), a cache of prepared statements
 * and the authorizer of sql-policy.ts. Statements run synchronously on this connection, so
 * the connection itself is the writer queue; an interactive transaction owns it across
 * requests (`acquire`/`release`) and the other streams wait their turn.
 */
export class TenantDatabase {
  readonly name: string;
  readonly file: string;
  limits: TenantLimits;
  #db: DatabaseSync;
  #cache = new Map<string, Prepared>();
  #policy = createSqlPolicy();
  #writer: Conn;
  /** A read-only connection for reads that arrive while another stream's transaction owns the writer. */
  #reader: Conn | undefined;
  #changes: StatementSync;
  #owner: object | undefined;
  #waiters: { stream: object; resume: (ok: boolean) => void }[] = [];
  #closed = false;
  #queries = 0;
  #errors = 0;
  #latency = new Float64Array(LATENCY_SAMPLES);
  #latencyCount = 0;

  constructor(name: string, file: string, limits: TenantLimits) {
    this.name = name;
    this.file = file;
    this.limits = limits;
    this.#db = new DatabaseSync(file, { allowExtension: false, timeout: 5000 });
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON');
    this.#applySizeLimit();
    this.#db.enableDefensive(true);
    this.#db.setAuthorizer((action, a1, a2) => this.#policy.authorize(action, a1, a2));
    this.#changes = this.#db.prepare('SELECT changes(), last_insert_rowid()');
    this.#changes.setReadBigInts(true);
    this.#changes.setReturnArrays(true);
    this.#policy.facts();
    this.#writer = { db: this.#db, cache: this.#cache, policy: this.#policy };
  }

  #readerConn(): Conn {
    if (!this.#reader) {
      const db = new DatabaseSync(this.file, { allowExtension: false, readOnly: true });
      const policy = createSqlPolicy();
      db.enableDefensive(true);
      db.setAuthorizer((action, a1, a2) => policy.authorize(action, a1, a2));
      this.#reader = { db, cache: new Map(), policy };
    }
    return this.#reader;
  }

  /** Another stream's transaction owns the connection: `stream` would wait for it. */
  busyFor(stream: object): boolean {
    return this.#owner !== undefined && this.#owner !== stream;
  }

  /**
   * Whether these statements can run beside the open transaction, on the reader (a WAL
   * snapshot of what is committed): all of them read-only and none a transaction control.
   */
  canReadAside(sqls: string[]): boolean {
    try {
      return sqls.every(
        (sql) => !TRANSACTION_CONTROL.test(sql) && !this.#prepare(sql, this.#readerConn()).facts.writes,
      );
    } catch {
      // a statement that does not prepare fails on the writer, in its turn
      return false;
    }
  }

  /** The SQLite connection, for the backup API (database-service.ts). */
  get connection(): DatabaseSync {
    return this.#db;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #applySizeLimit(): void {
    const pageSize = Number((this.#db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
    const pages = Math.max(1, Math.floor(this.limits.maxSizeBytes / pageSize));
    this.#db.exec(`PRAGMA max_page_count = ${pages}`);
  }

  /** True outside an explicit transaction (Hrana's `get_autocommit`, `is_autocommit`). */
  isAutocommit(): boolean {
    return !this.#db.isTransaction;
  }

  /**
   * Waits until `stream` may use the connection: at once unless another stream's
   * transaction owns it. Rejects when the database is closed (deleted, restored) meanwhile.
   */
  acquire(stream: object): Promise<void> | undefined {
    this.#checkOpen();
    if (!this.#owner || this.#owner === stream) return undefined;
    return new Promise((resolve, reject) => {
      this.#waiters.push({
        stream,
        resume: (ok) =>
          ok ? resolve() : reject(new HranaFailure('The database was closed', 'DATABASE_CLOSED', 404)),
      });
    });
  }

  /** After a stream's requests: it keeps the connection while its transaction is open. */
  settle(stream: object): void {
    if (this.#closed) return;
    if (this.#db.isTransaction) {
      this.#owner = stream;
      return;
    }
    if (this.#owner === stream) this.#owner = undefined;
    this.#wakeNext();
  }

  /** Ends `stream`'s transaction (closed or expired stream) and lets the next one in. */
  abandon(stream: object): void {
    if (this.#closed || this.#owner !== stream) return;
    if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    this.#owner = undefined;
    this.#wakeNext();
  }

  /** Whether `stream` is the one holding an open transaction. */
  owns(stream: object): boolean {
    return this.#owner === stream;
  }

  #wakeNext(): void {
    while (!this.#owner && this.#waiters.length) {
      const next = this.#waiters.shift()!;
      // it runs its requests (synchronously) before anyone else resumes
      this.#owner = next.stream;
      next.resume(true);
      // it settles on its own; until then it is the owner
      return;
    }
  }

  /** Runs one statement. Throws HranaFailure with libSQL's error codes. */
  execute(stmt: HranaStmt, sql: string, opts: { readOnly: boolean; aside?: boolean }): HranaStmtResult {
    const started = performance.now();
    try {
      const result = this.#execute(stmt, sql, opts, started);
      this.#record(started, false);
      return result;
    } catch (e) {
      this.#record(started, true);
      throw toFailure(e, this.limits);
    }
  }

  #execute(
    stmt: HranaStmt,
    sql: string,
    opts: { readOnly: boolean; aside?: boolean },
    started: number,
  ): HranaStmtResult {
    if (BEGIN_READONLY.test(sql)) sql = 'BEGIN DEFERRED';
    const p = this.#prepare(sql, opts.aside ? this.#readerConn() : this.#writer);
    if (opts.readOnly && p.facts.writes)
      throw new HranaFailure('This token is read-only: the statement would write', 'SQLITE_READONLY');
    const named: Record<string, unknown> = {};
    for (const a of stmt.named_args ?? []) named[a.name] = valueToSqlite(a.value);
    const positional = (stmt.args ?? []).map(valueToSqlite);
    const args = stmt.named_args?.length ? [named, ...positional] : positional;
    if (p.cols.length === 0) {
      const r = (
        p.stmt.run as (...a: unknown[]) => { changes: number | bigint; lastInsertRowid: number | bigint }
      )(...args);
      // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE: DDL would repeat it
      const changes = p.facts.dml ? Number(r.changes) : 0;
      return result([], [], changes, changes ? String(r.lastInsertRowid) : null, started);
    }
    const deadline = started + this.limits.statementTimeoutMs;
    const rows: ReturnType<typeof valueFromSqlite>[][] = [];
    const want = stmt.want_rows !== false;
    const it = (p.stmt.iterate as (...a: unknown[]) => IterableIterator<unknown[]>)(...args);
    try {
      for (const row of it) {
        if (rows.length >= this.limits.maxRows)
          throw new HranaFailure(
            `The statement returned more than ${this.limits.maxRows} rows (the database's maxRows): add a LIMIT`,
            'RESPONSE_TOO_LARGE',
          );
        if (want) rows.push(row.map(valueFromSqlite));
        if (performance.now() > deadline)
          throw new HranaFailure(
            `The statement ran longer than ${this.limits.statementTimeoutMs} ms (the database's statementTimeoutMs) and was stopped`,
            'STATEMENT_TIMEOUT',
          );
      }
    } finally {
      it.return?.();
    }
    let affected = 0;
    let lastId: string | null = null;
    if (p.facts.dml) {
      const [c, id] = this.#changes.get() as unknown as [bigint, bigint];
      affected = Number(c);
      if (affected) lastId = String(id);
    }
    return result(p.cols, rows, affected, lastId, started);
  }

  /** Runs several statements separated by `;` (Hrana's `sequence`), without results. */
  sequence(sql: string, opts: { readOnly: boolean }): void {
    const started = performance.now();
    this.#policy.facts();
    // the authorizer sees each statement as exec prepares it: a read-only token stops at the first write
    this.#policy.denyWrites = opts.readOnly;
    try {
      this.#db.exec(sql);
      this.#record(started, false);
    } catch (e) {
      this.#record(started, true);
      throw toFailure(e, this.limits, this.#policy.facts().denied);
    } finally {
      this.#policy.denyWrites = false;
      this.#policy.facts();
    }
  }

  /** Hrana's `describe`: parameters, columns and whether the statement is read-only. */
  describe(sql: string, params: (string | null)[], aside = false) {
    try {
      const p = this.#prepare(sql, aside ? this.#readerConn() : this.#writer);
      return {
        params: params.map((name) => ({ name })),
        cols: p.cols,
        is_explain: /^\s*EXPLAIN\b/i.test(sql),
        is_readonly: !p.facts.writes,
      };
    } catch (e) {
      throw toFailure(e, this.limits);
    }
  }

  #prepare(sql: string, conn: Conn): Prepared {
    const hit = conn.cache.get(sql);
    if (hit) return hit;
    conn.policy.facts();
    let stmt: StatementSync;
    try {
      stmt = conn.db.prepare(sql);
    } catch (e) {
      const denied = conn.policy.facts().denied;
      throw toFailure(e, this.limits, denied);
    }
    const facts = conn.policy.facts();
    stmt.setReadBigInts(true);
    stmt.setReturnArrays(true);
    const cols = stmt.columns().map((c) => ({ name: c.name, decltype: c.type }));
    const p = { stmt, cols, facts };
    if (conn.cache.size >= CACHE_SIZE) conn.cache.delete(conn.cache.keys().next().value!);
    conn.cache.set(sql, p);
    return p;
  }

  #record(started: number, failed: boolean): void {
    this.#queries++;
    if (failed) this.#errors++;
    this.#latency[this.#latencyCount++ % LATENCY_SAMPLES] = performance.now() - started;
  }

  /** Queries, errors and latency percentiles (of the last 1024 statements) since it was opened. */
  counters(): TenantCounters {
    const n = Math.min(this.#latencyCount, LATENCY_SAMPLES);
    const sorted = Array.from(this.#latency.subarray(0, n)).sort((a, b) => a - b);
    const pick = (q: number) =>
      n ? Math.round(sorted[Math.min(n - 1, Math.floor(q * n))]! * 1000) / 1000 : 0;
    return { queries: this.#queries, errors: this.#errors, p50Ms: pick(0.5), p99Ms: pick(0.99) };
  }

  /** The user tables (sqlite_schema), for stats. */
  tables(): string[] {
    const rows = this.#db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[];
    this.#policy.facts();
    return rows.map((r) => r.name);
  }

  #checkOpen(): void {
    if (this.#closed) throw new HranaFailure('The database was closed', 'DATABASE_CLOSED', 404);
  }

  /** Closes the file; waiting streams get an error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.resume(false);
    this.#owner = undefined;
    this.#cache.clear();
    this.#db.close();
    this.#reader?.db.close();
    this.#reader = undefined;
  }
}

function result(
  cols: HranaCol[],
  rows: HranaStmtResult['rows'],
  affected: number,
  lastId: string | null,
  started: number,
): HranaStmtResult {
  return {
    cols,
    rows,
    affected_row_count: affected,
    last_insert_rowid: lastId,
    rows_read: rows.length,
    rows_written: affected,
    query_duration_ms: performance.now() - started,
  };
}

/** An error of node:sqlite as Hrana reports it: the SQLite message, libSQL's code name. */
function toFailure(e: unknown, limits: TenantLimits, denied?: PrepareFacts['denied']): HranaFailure {
  if (e instanceof HranaFailure) return e;
  const err = e as Error & { errcode?: unknown };
  if (typeof err.errcode !== 'number') return new HranaFailure(err.message ?? String(e), 'SQLITE_ERROR');
  if (denied)
    return new HranaFailure(
      denied.code === 'SQLITE_AUTH' ? `not authorized: ${denied.message}` : denied.message,
      denied.code,
    );
  const code = sqliteCodeName(err.errcode);
  if (code === 'SQLITE_FULL')
    return new HranaFailure(
      `The database reached its size quota of ${limits.maxSizeBytes} bytes (maxSizeBytes): ${err.message}`,
      code,
    );
  return new HranaFailure(err.message, code);
}
