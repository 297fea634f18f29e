import type { Kysely as KyselyDb } from 'kysely';
import pg from 'pg';
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
import { quoteIdent } from '../ident.ts';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from '../kysely.ts';
import type { SystemTables } from '../system-tables.ts';
import { type TxDriver, TxScopes } from '../tx-scope.ts';
import { createPgBus } from './bus.ts';
import { pgChangeOrder } from './change-order.ts';
import { mapPgError } from './errors.ts';
import { pgFilter } from './filter.ts';
import { typeParsers } from './kinds.ts';
import { pgSnapshot } from './snapshot.ts';
import { createPgDdl } from './tables.ts';

export interface PostgresOptions {
  /** A postgres:// URL; `?schema=name` selects (and creates) a schema to work in. */
  url: string;
  maxConnections?: number;
  /**
   * Statements outside a write transaction are cancelled after this long (the pool's
   * `statement_timeout`); a transaction lifts it for its own statements. 0: no limit.
   */
  queryTimeoutMs?: number;
  /** Told of every statement and its duration (development logs). */
  trace?: SqlTrace;
}

/** PostgreSQL through a `pg` pool. Every collection table carries `_rowid` for insertion order. */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly filter: FilterDialect = pgFilter;
  readonly ddl: SchemaDdl;
  readonly bus: ChangeBus;
  readonly changeOrder: ChangeOrder;
  readonly snapshot: DataSnapshot;
  readonly qb: KyselyDb<any>;
  readonly sys: KyselyDb<SystemTables>;
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
  readonly #scopes = new TxScopes();
  readonly #begin: string;
  readonly #trace: SqlTrace | undefined;

  private constructor(
    pool: pg.Pool,
    schema: string | undefined,
    connection: pg.ClientConfig,
    queryTimeoutMs: number,
    trace: SqlTrace | undefined,
  ) {
    this.pool = pool;
    this.#trace = trace;
    // writes, migrations and their reads are not limited (PocketBase limits reads only):
    // lifted in the same round trip as BEGIN
    this.#begin = queryTimeoutMs > 0 ? 'BEGIN; SET LOCAL statement_timeout = 0' : 'BEGIN';
    this.schema = schema;
    this.ddl = createPgDdl(pool);
    this.bus = createPgBus(pool, connection, schema);
    this.changeOrder = pgChangeOrder(pool);
    this.snapshot = pgSnapshot(pool);
    this.qb = new Kysely<any>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    this.sys = this.qb as KyselyDb<SystemTables>;
  }

  /** Connects, creating the schema named by `?schema=` when it is missing. */
  static async open(opts: PostgresOptions): Promise<PostgresDatabase> {
    const url = new URL(opts.url);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${schema}`);
    }
    const connection: pg.ClientConfig = {
      connectionString: url.toString(),
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    };
    const pool = new pg.Pool({
      connectionString: url.toString(),
      max: opts.maxConnections ?? 10,
      ...(opts.queryTimeoutMs ? { statement_timeout: opts.queryTimeoutMs } : {}),
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          typeParsers[oid] ?? pg.types.getTypeParser(oid, format as any)) as any,
      },
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    pool.on('error', () => {
      // an idle client lost its connection; the pool replaces it on next use
    });
    if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    return new PostgresDatabase(pool, schema, connection, opts.queryTimeoutMs ?? 0, opts.trace);
  }

  async all<T>(q: Query): Promise<T[]> {
    return runPg(this.pool, q, this.#trace).then((r) => r.rows as T[]);
  }

  async first<T>(q: Query): Promise<T | undefined> {
    return runPg(this.pool, q, this.#trace).then((r) => r.rows[0] as T | undefined);
  }

  // writes from inside a running transaction's work join it (as on SQLite), never a second connection
  async run(q: Query): Promise<RunResult> {
    if (this.#scopes.current()) return this.transaction((tx) => tx.run(q));
    const r = await runPg(this.pool, q, this.#trace);
    return { changes: r.rowCount ?? 0 };
  }

  async writeReturning<T>(q: Query): Promise<T[]> {
    if (this.#scopes.current()) return this.transaction(async (tx) => (await tx.all(q)) as T[]);
    return (await runPg(this.pool, q, this.#trace)).rows as T[];
  }

  async exec(text: string): Promise<void> {
    if (this.#scopes.current()) return this.transaction((tx) => tx.exec(text));
    try {
      await this.pool.query(text);
    } catch (e) {
      throw mapPgError(e);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    // inside a running transaction: a savepoint on its client, never a second connection
    const open = this.#scopes.current();
    if (open) return this.#scopes.nest(open, fn);
    const client = await this.pool.connect();
    const scope = this.#scopes.open(clientDriver(client, this.#trace));
    try {
      await client.query(this.#begin);
      const value = await this.#scopes.run(scope, fn);
      this.#scopes.end(scope);
      await client.query('COMMIT');
      for (const f of scope.after) queueMicrotask(f);
      return value;
    } catch (e) {
      this.#scopes.end(scope);
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapPgError(e);
    } finally {
      client.release();
    }
  }

  async isSuperuserRole(): Promise<boolean> {
    const r = await this.pool.query(`SELECT current_setting('is_superuser') AS su`);
    return r.rows[0]?.su === 'on';
  }

  stats(): DbStats {
    const p = this.pool;
    return { queued: p.waitingCount, connections: p.totalCount, busy: p.totalCount - p.idleCount };
  }

  async sizeBytes(): Promise<number> {
    // the app's schema only: one PostgreSQL database may hold several apps' schemas
    const r = await this.pool.query(
      `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS size
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')`,
    );
    return Number(r.rows[0]?.size ?? 0);
  }

  readOnly<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    return this.#readOnlyIn('BEGIN READ ONLY', fn);
  }

  readSnapshot<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    // read only and repeatable read: one snapshot, and never a serialization failure
    return this.#readOnlyIn('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  async #readOnlyIn<T>(begin: string, fn: (ex: Executor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      const value = await fn(clientDriver(client, this.#trace).statements);
      await client.query('COMMIT');
      return value;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapPgError(e);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function runPg(client: pg.Pool | pg.PoolClient, q: Query, trace?: SqlTrace): Promise<pg.QueryResult> {
  const { sql: text, parameters } = toSql(q);
  const started = trace ? performance.now() : 0;
  try {
    return await client.query(text, parameters as unknown[]);
  } catch (e) {
    throw mapPgError(e);
  } finally {
    trace?.(text, performance.now() - started);
  }
}

/** One transaction's pooled client: statements, savepoint control, and the client for queryColumns. */
function clientDriver(client: pg.PoolClient, trace: SqlTrace | undefined): TxDriver {
  return {
    statements: {
      all: async <T>(q: Query) => (await runPg(client, q, trace)).rows as T[],
      first: async <T>(q: Query) => (await runPg(client, q, trace)).rows[0] as T | undefined,
      run: async (q: Query) => ({ changes: (await runPg(client, q, trace)).rowCount ?? 0 }),
      exec: async (text: string) => {
        try {
          await client.query(text);
        } catch (e) {
          throw mapPgError(e);
        }
      },
    },
    control: async (text) => {
      try {
        await client.query(text);
      } catch (e) {
        throw mapPgError(e);
      }
    },
    decorate: (tx) => Object.assign(tx, { client }),
  };
}
