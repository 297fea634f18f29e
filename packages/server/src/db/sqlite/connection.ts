// One node:sqlite connection, its statement cache and the read-result cache.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { DbError, type Query, type RunResult, type SqlTrace, toSql } from '../database.ts';
import { mapSqliteError } from './errors.ts';

const CACHE_LIMIT = 500;
const RESULT_CACHE_ENTRIES = 256;
const RESULT_CACHE_MAX_ROWS = 200;
// results of these depend on more than the data, so they are never cached
export const VOLATILE_SQL = /random\(|\bnow\b|current_(date|time|timestamp)|changes\(|last_insert_rowid/i;

/**
 * Results of recent reads, valid while the database has not changed. `PRAGMA
 * data_version` on the reading connection changes whenever any other connection commits
 * (our writer, or another process on the same file), so a hit is never stale.
 */
export class ResultCache {
  readonly #version: StatementSync;
  readonly #entries = new Map<string, unknown[]>();
  #seen = -1;
  #checkedAt = 0;

  constructor(conn: DatabaseSync) {
    this.#version = conn.prepare('PRAGMA data_version');
  }

  /** Our own writer calls this on every commit: its writes are seen at once. */
  invalidate(): void {
    this.#entries.clear();
  }

  // other processes' commits are noticed within a millisecond (one PRAGMA per ms at most)
  #fresh(): void {
    const now = performance.now();
    if (now - this.#checkedAt < 1) return;
    this.#checkedAt = now;
    const v = Number((this.#version.get() as { data_version: number }).data_version);
    if (v !== this.#seen) {
      this.#entries.clear();
      this.#seen = v;
    }
  }

  get(key: string): unknown[] | undefined {
    this.#fresh();
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, rows: unknown[]): void {
    if (rows.length > RESULT_CACHE_MAX_ROWS) return;
    if (this.#entries.size >= RESULT_CACHE_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, rows);
  }
}

/** One node:sqlite connection with a bounded prepared-statement cache. */
export class Connection {
  readonly raw: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();
  readonly #trace: SqlTrace | undefined;

  constructor(path: string, readOnly: boolean, trace?: SqlTrace) {
    this.raw = new DatabaseSync(path, { timeout: 5000, readOnly });
    this.#trace = trace;
  }

  /** Runs `fn` for the statement `sql`, telling the trace how long it took. */
  #timed<T>(sql: string, fn: () => T): T {
    if (!this.#trace) return fn();
    const started = performance.now();
    try {
      return fn();
    } finally {
      this.#trace(sql, performance.now() - started);
    }
  }

  stmt(sql: string): StatementSync {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(sql, s);
    }
    return s;
  }

  clearCache(): void {
    this.#cache.clear();
  }

  all(q: Query): any[] {
    const { sql, parameters } = toSql(q);
    try {
      return this.#timed(sql, () => this.stmt(sql).all(...(parameters as any[])));
    } catch (e) {
      throw mapSqliteError(e);
    }
  }

  /**
   * `all`, cancelled with a DbError `query_timeout` once it has run `ms` milliseconds: the
   * time is checked after each row the statement yields, so a query that computes long
   * before its first row (a sort, an aggregate such as COUNT(*)) is cut only after it.
   */
  allWithin(q: Query, ms: number): any[] {
    const { sql, parameters } = toSql(q);
    const deadline = performance.now() + ms;
    const rows: unknown[] = [];
    try {
      this.#timed(sql, () => {
        for (const row of this.stmt(sql).iterate(...(parameters as any[]))) {
          rows.push(row);
          if (performance.now() > deadline) {
            throw new DbError('query_timeout', `the query ran longer than ${ms} ms`);
          }
        }
      });
    } catch (e) {
      throw mapSqliteError(e);
    }
    return rows;
  }

  run(q: Query): RunResult {
    const { sql, parameters } = toSql(q);
    try {
      const r = this.#timed(sql, () => this.stmt(sql).run(...(parameters as any[])));
      return { changes: Number(r.changes) };
    } catch (e) {
      throw mapSqliteError(e);
    }
  }

  exec(sql: string): void {
    try {
      this.#timed(sql, () => this.raw.exec(sql));
    } catch (e) {
      throw mapSqliteError(e);
    }
    // DDL may invalidate cached statements' column lists
    this.clearCache();
  }

  /** Runs a transaction-control statement (BEGIN, SAVEPOINT, ...) from the statement cache. */
  control(sql: string): void {
    try {
      this.stmt(sql).run();
    } catch (e) {
      throw mapSqliteError(e);
    }
  }
}
