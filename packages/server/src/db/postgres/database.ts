import type { Kysely as KyselyDb, RawBuilder } from 'kysely';
import pg from 'pg';
import type {
  ColumnKind,
  Database,
  Executor,
  Query,
  RunResult,
  TablePlan,
  Transaction,
} from '../database.ts';
import { toSql } from '../database.ts';
import { quoteIdent } from '../ident.ts';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from '../kysely.ts';
import { applyTablePlan } from '../rebuild.ts';
import { mapPgError } from './errors.ts';
import { pgFilter } from './filter.ts';
import { oidKind, typeParsers } from './kinds.ts';
import { changesChannel, listenChannel, topicChannel } from './listen.ts';
import { syncSearch } from './search.ts';
import { createView, dropTable, dropView, hasTable, pgTables } from './tables.ts';

export interface PostgresOptions {
  /** A postgres:// URL; `?schema=name` selects (and creates) a schema to work in. */
  url: string;
  maxConnections?: number;
}

/** PostgreSQL through a `pg` pool. Every collection table carries `_rowid` for insertion order. */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly rowIdColumn = '_rowid';
  readonly filter = pgFilter;
  readonly qb: KyselyDb<any>;
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
  readonly #connection: pg.ClientConfig;

  private constructor(pool: pg.Pool, schema: string | undefined, connection: pg.ClientConfig) {
    this.pool = pool;
    this.schema = schema;
    this.#connection = connection;
    this.qb = new Kysely<any>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
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
    return new PostgresDatabase(pool, schema, connection);
  }

  ident(name: string): string {
    return quoteIdent(name);
  }

  bool(value: boolean): unknown {
    return value;
  }

  jsonArrayHas(column: string, value: unknown): RawBuilder<boolean> {
    return sql<boolean>`(${sql.ref(column)} @> jsonb_build_array(${value}::text))`;
  }

  async all<T>(q: Query): Promise<T[]> {
    return runPg(this.pool, q).then((r) => r.rows as T[]);
  }

  async first<T>(q: Query): Promise<T | undefined> {
    return runPg(this.pool, q).then((r) => r.rows[0] as T | undefined);
  }

  async run(q: Query): Promise<RunResult> {
    const r = await runPg(this.pool, q);
    return { changes: r.rowCount ?? 0 };
  }

  async exec(text: string): Promise<void> {
    try {
      await this.pool.query(text);
    } catch (e) {
      throw mapPgError(e);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const after: (() => void)[] = [];
    try {
      await client.query('BEGIN');
      const value = await fn(txExecutor(client, after, 0));
      await client.query('COMMIT');
      for (const f of after) queueMicrotask(f);
      return value;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapPgError(e);
    } finally {
      client.release();
    }
  }

  applyTablePlan(tx: Transaction, plan: TablePlan): Promise<void> {
    return applyTablePlan(pgTables, tx, plan);
  }

  syncSearch(tx: Transaction, table: string, columns: string[], previous?: string): Promise<void> {
    return syncSearch(tx, table, columns, previous);
  }

  dropTable(tx: Transaction, name: string): Promise<void> {
    return dropTable(tx, name);
  }

  createView(tx: Transaction, name: string, select: string, replace?: string): Promise<void> {
    return createView(tx, name, select, replace);
  }

  dropView(tx: Transaction, name: string): Promise<void> {
    return dropView(tx, name);
  }

  async queryColumns(
    ex: Executor,
    select: string,
  ): Promise<{ name: string; kind: ColumnKind | 'unknown' }[]> {
    const client = (ex as { client?: pg.PoolClient }).client ?? this.pool;
    let res: pg.QueryResult;
    try {
      res = await client.query(`SELECT * FROM (${select}) AS fb_view_probe LIMIT 0`);
    } catch (e) {
      throw mapPgError(e);
    }
    return res.fields.map((f) => ({ name: f.name, kind: oidKind(f.dataTypeID) }));
  }

  async lockKey(tx: Transaction, key: string): Promise<void> {
    await tx.run({ sql: 'SELECT pg_advisory_xact_lock(hashtext($1))', parameters: [key] });
  }

  hasTable(ex: Executor, name: string): Promise<boolean> {
    return hasTable(ex, name);
  }

  async notifyChanges(seq: number): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [changesChannel(this.schema), String(seq)]);
  }

  listenChanges(wake: () => void): Promise<() => Promise<void>> {
    return listenChannel(this.#connection, changesChannel(this.schema), () => wake());
  }

  async notify(topic: string, payload: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [topicChannel(topic, this.schema), payload]);
  }

  listen(topic: string, wake: (payload?: string) => void): Promise<() => Promise<void>> {
    return listenChannel(this.#connection, topicChannel(topic, this.schema), wake);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function runPg(client: pg.Pool | pg.PoolClient, q: Query): Promise<pg.QueryResult> {
  const { sql: text, parameters } = toSql(q);
  try {
    return await client.query(text, parameters as unknown[]);
  } catch (e) {
    throw mapPgError(e);
  }
}

function txExecutor(
  client: pg.PoolClient,
  after: (() => void)[],
  depth: number,
): Transaction & {
  client: pg.PoolClient;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
} {
  return {
    client,
    all: async <T>(q: Query) => (await runPg(client, q)).rows as T[],
    first: async <T>(q: Query) => (await runPg(client, q)).rows[0] as T | undefined,
    run: async (q: Query) => ({ changes: (await runPg(client, q)).rowCount ?? 0 }),
    exec: async (text: string) => {
      try {
        await client.query(text);
      } catch (e) {
        throw mapPgError(e);
      }
    },
    afterCommit: (fn) => {
      after.push(fn);
    },
    transaction: async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
      const name = `fb_nested_${depth + 1}`;
      await client.query(`SAVEPOINT ${name}`);
      try {
        const v = await fn(txExecutor(client, after, depth + 1));
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return v;
      } catch (e) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw e;
      }
    },
  };
}
