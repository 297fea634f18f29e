// Backups on PostgreSQL: the schema's tables dumped through COPY in one REPEATABLE READ
// snapshot, with enough catalog to rebuild them; restored in one transaction.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DataSnapshot } from '../database.ts';
import { quoteIdent, sqlText } from '../ident.ts';

/** The archive entry that describes a PostgreSQL snapshot (tables, columns, indexes, views). */
export const PG_MANIFEST = 'postgres/manifest.json';

interface ColumnDef {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  /** '' none, 'a' GENERATED ALWAYS, 'd' BY DEFAULT (identity). */
  identity: string;
}

interface TableDef {
  name: string;
  columns: ColumnDef[];
  /** `ALTER TABLE … ADD CONSTRAINT name <def>` pieces (primary keys, uniques, checks, foreign keys last). */
  constraints: { name: string; def: string }[];
  /** CREATE INDEX statements, the table's schema prefix removed. */
  indexes: string[];
  /** The archive entry holding its rows (COPY text format). */
  entry: string;
}

interface SequenceDef {
  name: string;
  value: number;
  called: boolean;
  /** `table.column` of a serial column, or of an identity column (then PostgreSQL names it). */
  owner?: { table: string; column: string; identity: boolean };
}

interface Manifest {
  version: 1;
  tables: TableDef[];
  sequences: SequenceDef[];
  views: { name: string; def: string }[];
}

type Client = pg.PoolClient;

async function rows<T>(client: Client, text: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query(text, params)).rows as T[];
}

async function readSequences(client: Client): Promise<SequenceDef[]> {
  const seqs = await rows<{ oid: number; name: string }>(
    client,
    `SELECT c.oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY c.oid`,
  );
  const out: SequenceDef[] = [];
  for (const s of seqs) {
    const [state] = await rows<{ last_value: string; is_called: boolean }>(
      client,
      `SELECT last_value, is_called FROM ${quoteIdent(s.name)}`,
    );
    const [owner] = await rows<{ table: string; column: string; deptype: string }>(
      client,
      `SELECT t.relname AS table, a.attname AS column, d.deptype FROM pg_depend d
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
       WHERE d.classid = 'pg_class'::regclass AND d.objid = $1 AND d.deptype IN ('a', 'i')`,
      [s.oid],
    );
    out.push({
      name: s.name,
      value: Number(state?.last_value ?? 1),
      called: state?.is_called ?? false,
      ...(owner
        ? { owner: { table: owner.table, column: owner.column, identity: owner.deptype === 'i' } }
        : {}),
    });
  }
  return out;
}

async function readManifest(client: Client): Promise<Manifest> {
  const [{ schema } = { schema: '' }] = await rows<{ schema: string }>(
    client,
    'SELECT quote_ident(current_schema()) AS schema',
  );
  const tables = await rows<{ oid: number; name: string }>(
    client,
    `SELECT c.oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.oid`,
  );
  const defs: TableDef[] = [];
  for (const [i, t] of tables.entries()) {
    const columns = await rows<ColumnDef>(
      client,
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
         pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity AS identity
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum`,
      [t.oid],
    );
    const constraints = await rows<{ name: string; def: string }>(
      client,
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = $1 AND contype IN ('p', 'u', 'c', 'x', 'f') ORDER BY contype = 'f', oid`,
      [t.oid],
    );
    const indexes = await rows<{ def: string }>(
      client,
      `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i WHERE i.indrelid = $1
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = $1)
       ORDER BY i.indexrelid`,
      [t.oid],
    );
    defs.push({
      name: t.name,
      columns,
      constraints,
      // restore into whatever schema the restoring app uses
      indexes: indexes.map((x) =>
        x.def.replace(` ON ${schema}.`, ' ON ').replace(` ON ONLY ${schema}.`, ' ON ONLY '),
      ),
      entry: `postgres/tables/${i}.copy`,
    });
  }
  const views = await rows<{ name: string; def: string }>(
    client,
    `SELECT c.relname AS name, pg_get_viewdef(c.oid) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'v' ORDER BY c.oid`,
  );
  return { version: 1, tables: defs, sequences: await readSequences(client), views };
}

function columnList(t: TableDef): string {
  return t.columns.map((c) => quoteIdent(c.name)).join(', ');
}

function createTableSql(t: TableDef): string {
  const cols = t.columns.map((c) => {
    const parts = [quoteIdent(c.name), c.type];
    if (c.identity)
      parts.push(c.identity === 'a' ? 'GENERATED ALWAYS AS IDENTITY' : 'GENERATED BY DEFAULT AS IDENTITY');
    else if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
    if (c.notNull) parts.push('NOT NULL');
    return parts.join(' ');
  });
  return `CREATE TABLE ${quoteIdent(t.name)} (${cols.join(', ')})`;
}

/** Drops every table, view and sequence of the current schema (inside the caller's transaction). */
async function dropAll(client: Client): Promise<void> {
  const objects = await rows<{ name: string; kind: string }>(
    client,
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm', 'r', 'p', 'S') ORDER BY c.relkind = 'S'`,
  );
  const kinds: Record<string, string> = {
    v: 'VIEW',
    m: 'MATERIALIZED VIEW',
    r: 'TABLE',
    p: 'TABLE',
    S: 'SEQUENCE',
  };
  for (const o of objects)
    await client.query(`DROP ${kinds[o.kind]} IF EXISTS ${quoteIdent(o.name)} CASCADE`);
}

/** Sequence positions never move backwards: the greater of the backup's and the current one. */
function seqKey(s: SequenceDef): string {
  return s.owner ? `${s.owner.table}.${s.owner.column}` : s.name;
}

/**
 * Runs `fn` in one transaction (`begin` opens it) on a client of its own; rolls back when
 * it throws. A COPY cut off half-way leaves the connection mid-protocol: `fn` says so with
 * `abandon()`, and the connection is closed instead (the server rolls back on its own).
 */
async function inTransaction(
  pool: pg.Pool,
  begin: string,
  fn: (client: Client, abandon: () => void) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  let abandoned = false;
  let failure: Error | undefined;
  try {
    await client.query(begin);
    // a dump or restore runs as long as the data needs: the pool's query timeout is for requests
    await client.query('SET LOCAL statement_timeout = 0');
    await fn(client, () => {
      abandoned = true;
    });
    await client.query('COMMIT');
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
    if (!abandoned) await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release(abandoned ? failure : undefined);
  }
}

/** Backups of the app's PostgreSQL schema, on connections of `pool`. */
export function pgSnapshot(pool: pg.Pool): DataSnapshot {
  return {
    async dump(add) {
      // one snapshot for the catalog and every table: a consistent copy while writes go on
      await inTransaction(
        pool,
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
        async (client, abandon) => {
          const manifest = await readManifest(client);
          await add(PG_MANIFEST, Readable.from([JSON.stringify(manifest)]), { compress: true });
          for (const t of manifest.tables) {
            const stream = client.query(copyTo(`COPY ${quoteIdent(t.name)} (${columnList(t)}) TO STDOUT`));
            // its errors reach us through add(); a late one (the closed connection) must not crash
            stream.on('error', () => undefined);
            stream.once('close', () => {
              if (!stream.readableEnded) abandon();
            });
            await add(t.entry, stream, { compress: true });
          }
        },
      );
    },

    async restore(open) {
      const head = await open(PG_MANIFEST);
      if (!head) throw new Error(`the backup holds no PostgreSQL snapshot (${PG_MANIFEST})`);
      const chunks: Buffer[] = [];
      for await (const c of head) chunks.push(Buffer.from(c as Uint8Array));
      const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest;
      if (manifest.version !== 1) throw new Error(`unknown PostgreSQL snapshot version ${manifest.version}`);
      await inTransaction(pool, 'BEGIN', async (client) => {
        const current = new Map((await readSequences(client)).map((s) => [seqKey(s), s]));
        await dropAll(client);
        for (const s of manifest.sequences.filter((x) => !x.owner?.identity))
          await client.query(`CREATE SEQUENCE ${quoteIdent(s.name)}`);
        for (const t of manifest.tables) {
          await client.query(createTableSql(t));
          const entry = await open(t.entry);
          if (!entry) throw new Error(`the backup misses the rows of ${t.name}`);
          await pipeline(
            entry,
            client.query(copyFrom(`COPY ${quoteIdent(t.name)} (${columnList(t)}) FROM STDIN`)),
          );
        }
        for (const t of manifest.tables)
          for (const c of t.constraints)
            await client.query(
              `ALTER TABLE ${quoteIdent(t.name)} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def}`,
            );
        for (const t of manifest.tables) for (const def of t.indexes) await client.query(def);
        for (const s of manifest.sequences) {
          const name = s.owner?.identity
            ? `pg_get_serial_sequence(${sqlText(quoteIdent(s.owner.table))}, ${sqlText(s.owner.column)})`
            : sqlText(quoteIdent(s.name));
          if (s.owner && !s.owner.identity)
            await client.query(
              `ALTER SEQUENCE ${quoteIdent(s.name)} OWNED BY ${quoteIdent(s.owner.table)}.${quoteIdent(s.owner.column)}`,
            );
          const now = current.get(seqKey(s));
          const ahead = now && (now.value > s.value || (now.value === s.value && now.called));
          const value = ahead ? now.value : s.value;
          const called = ahead ? now.called : s.called;
          await client.query(`SELECT setval(${name}, $1, $2)`, [value, called]);
        }
        for (const v of manifest.views)
          await client.query(`CREATE VIEW ${quoteIdent(v.name)} AS ${v.def.replace(/;\s*$/, '')}`);
      });
    },
  };
}
