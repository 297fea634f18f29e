import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backup } from 'node:sqlite';
import type { Database } from '../db/database.ts';
import type { DatabasesTable, DatabaseTokensTable } from '../db/system-tables.ts';
import type { ErrorData } from '../errors/api-error.ts';
import { errors, FieldCode, fieldError } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../tools/clock.ts';
import { randomString } from '../tools/id.ts';
import { nowDate } from '../tools/time.ts';
import { createHranaServer, type StreamAccess } from './hrana-server.ts';
import { TenantDatabase, type TenantLimits } from './tenant-database.ts';

/** A database name: also its file name, so nothing that could leave the folder. */
export const DATABASE_NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;
/** Database tokens start with this, so they are told from superuser tokens and API keys. */
export const DATABASE_TOKEN_PREFIX = 'fbdb_';

/** Quotas of a database created without its own. */
export const DEFAULT_LIMITS: TenantLimits = {
  maxSizeBytes: 1024 ** 3,
  statementTimeoutMs: 5_000,
  maxRows: 10_000,
  idleTransactionMs: 10_000,
};

const LIMIT_RANGES: Record<keyof TenantLimits, [number, number]> = {
  maxSizeBytes: [64 * 1024, 2 ** 44],
  statementTimeoutMs: [1, 600_000],
  maxRows: [1, 1_000_000],
  idleTransactionMs: [10, 3_600_000],
};

/** A resolved database token is re-checked against the table after this long (revocation on other nodes). */
const TOKEN_CACHE_MS = 5_000;
/** How many tokens' hashes are kept in memory. */
const MAX_HASHES = 10_000;

export type DatabaseService = ReturnType<typeof createDatabaseService>;

/**
 * Tenant databases ("databases as a service"): each one its own SQLite file under
 * `<dataDir>/databases/`, reached with libSQL's Hrana protocol (hrana-server.ts); the
 * metadata (names, quotas, tokens) lives in the app database, SQLite or PostgreSQL.
 * A database is opened on first use and stays open until deleted, restored or the app stops.
 */
export function createDatabaseService({
  db,
  dataDir,
  clock,
  logger,
  node = hostname(),
}: {
  db: Database;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  /** This node's name: a database belongs to the node that created it (docs/databases.md). */
  node?: string;
}) {
  const qb = db.sys;
  const dir = join(dataDir, 'databases');
  const backupsDir = join(dir, '_backups');
  const open = new Map<string, TenantDatabase>();
  const opening = new Map<string, Promise<TenantDatabase>>();
  const tokens = new Map<string, { database: string; readOnly: boolean; expires: string; checked: number }>();
  // token → its sha256, so a request with a known token hashes nothing
  const hashes = new Map<string, string>();
  const hrana = createHranaServer();
  const fileOf = (name: string) => join(dir, `${name}.db`);

  const limitsOf = (row: DatabasesTable): TenantLimits => ({
    maxSizeBytes: Number(row.max_size_bytes),
    statementTimeoutMs: Number(row.statement_timeout_ms),
    maxRows: Number(row.max_rows),
    idleTransactionMs: Number(row.idle_transaction_ms),
  });

  function sizeOf(name: string): number {
    let size = 0;
    for (const f of [fileOf(name), `${fileOf(name)}-wal`]) if (existsSync(f)) size += statSync(f).size;
    return size;
  }

  function toJSON(row: DatabasesTable): Record<string, unknown> {
    return { name: row.name, created: row.created, size: sizeOf(row.name), node: row.node, ...limitsOf(row) };
  }

  async function row(name: string): Promise<DatabasesTable> {
    const r = DATABASE_NAME_RE.test(name)
      ? await db.first<DatabasesTable>(qb.selectFrom('_databases').selectAll().where('name', '=', name))
      : undefined;
    if (!r) throw errors.notFound(`The database "${name}" does not exist.`);
    return r;
  }

  function parseLimits(body: Record<string, unknown>, errs: ErrorData): TenantLimits {
    const limits = { ...DEFAULT_LIMITS };
    for (const key of Object.keys(LIMIT_RANGES) as (keyof TenantLimits)[]) {
      const v = body[key];
      if (v === undefined) continue;
      const [min, max] = LIMIT_RANGES[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        errs[key] = fieldError(FieldCode.invalidValue, `Must be an integer from ${min} to ${max}.`);
      else limits[key] = v;
    }
    return limits;
  }

  /** Opens (once) the file of a database known to the metadata. */
  async function tenant(name: string): Promise<TenantDatabase> {
    const hit = open.get(name);
    if (hit) return hit;
    let p = opening.get(name);
    if (!p) {
      p = row(name)
        .then((r) => {
          if (!existsSync(fileOf(name))) {
            if (r.node !== node)
              throw errors.unavailable(
                `The database "${name}" lives on node "${r.node}": send its requests to that node.`,
              );
            throw errors.unavailable(`The file of the database "${name}" is missing on this node.`);
          }
          const t = new TenantDatabase(name, fileOf(name), limitsOf(r));
          open.set(name, t);
          return t;
        })
        .finally(() => opening.delete(name));
      opening.set(name, p);
    }
    return p;
  }

  function closeTenant(name: string): void {
    hrana.drop(name);
    open.get(name)?.close();
    open.delete(name);
  }

  function removeFiles(name: string): void {
    for (const f of [fileOf(name), `${fileOf(name)}-wal`, `${fileOf(name)}-shm`]) rmSync(f, { force: true });
  }

  return {
    hrana,

    /** POST /api/databases `{name, maxSizeBytes?, statementTimeoutMs?, maxRows?, idleTransactionMs?}`. */
    async create(body: Record<string, unknown>): Promise<Record<string, unknown>> {
      const errs: ErrorData = {};
      const name = body.name;
      if (typeof name !== 'string' || !DATABASE_NAME_RE.test(name))
        errs.name = fieldError(
          FieldCode.invalidValue,
          'Must start with a lowercase letter, then up to 62 lowercase letters, digits, _ or -.',
        );
      const limits = parseLimits(body, errs);
      if (Object.keys(errs).length)
        throw errors.invalid('An error occurred while validating the submitted data.', errs);
      const n = name as string;
      const r: DatabasesTable = {
        name: n,
        node,
        max_size_bytes: limits.maxSizeBytes,
        statement_timeout_ms: limits.statementTimeoutMs,
        max_rows: limits.maxRows,
        idle_transaction_ms: limits.idleTransactionMs,
        created: nowDate(clock.now()),
      };
      if (await db.first(qb.selectFrom('_databases').select('name').where('name', '=', n)))
        throw errors.conflict(`A database named "${n}" exists.`);
      mkdirSync(dir, { recursive: true });
      // a file left by a database deleted on a node that crashed meanwhile is not this one's
      removeFiles(n);
      try {
        await db.run(qb.insertInto('_databases').values(r));
      } catch (e) {
        if (await db.first(qb.selectFrom('_databases').select('name').where('name', '=', n)))
          throw errors.conflict(`A database named "${n}" exists.`);
        throw e;
      }
      const t = new TenantDatabase(n, fileOf(n), limits);
      open.set(n, t);
      return toJSON(r);
    },

    /** GET /api/databases: every database, by name. */
    async list(): Promise<Record<string, unknown>[]> {
      const rows = await db.all<DatabasesTable>(qb.selectFrom('_databases').selectAll().orderBy('name'));
      return rows.map(toJSON);
    },

    async get(name: string): Promise<Record<string, unknown>> {
      return toJSON(await row(name));
    },

    /** DELETE /api/databases/{name}: the file, its backups and tokens go; open streams fail. */
    async delete(name: string): Promise<void> {
      await row(name);
      await db.transaction(async (tx) => {
        await tx.run(qb.deleteFrom('_database_tokens').where('database_name', '=', name));
        await tx.run(qb.deleteFrom('_databases').where('name', '=', name));
      });
      for (const [hash, t] of tokens) if (t.database === name) tokens.delete(hash);
      closeTenant(name);
      removeFiles(name);
      rmSync(join(backupsDir, name), { recursive: true, force: true });
    },

    /** POST /api/databases/{name}/tokens `{readOnly?, expiresIn? (seconds)}` → the token, shown once. */
    async createToken(name: string, body: { readOnly?: boolean; expiresIn?: number }) {
      await row(name);
      const expiresIn = body.expiresIn;
      if (
        expiresIn !== undefined &&
        (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 10 * 365 * 86400)
      )
        throw errors.invalid('An error occurred while validating the submitted data.', {
          expiresIn: fieldError(
            FieldCode.invalidValue,
            'Must be a whole number of seconds from 1 to 315360000.',
          ),
        });
      const token = `${DATABASE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const r: DatabaseTokensTable = {
        id: randomString(15),
        database_name: name,
        hash: sha256(token),
        read_only: body.readOnly ? 1 : 0,
        expires: expiresIn ? nowDate(clock.now() + expiresIn * 1000) : '',
        created: nowDate(clock.now()),
      };
      await db.run(qb.insertInto('_database_tokens').values(r));
      return { ...tokenJSON(r), token };
    },

    async listTokens(name: string) {
      await row(name);
      const rows = await db.all<DatabaseTokensTable>(
        qb
          .selectFrom('_database_tokens')
          .selectAll()
          .where('database_name', '=', name)
          .orderBy('created', 'desc'),
      );
      return rows.map(tokenJSON);
    },

    /** DELETE /api/databases/{name}/tokens/{id}: the token stops working at once on this node. */
    async revokeToken(name: string, id: string): Promise<void> {
      const r = await db.first<DatabaseTokensTable>(
        qb.selectFrom('_database_tokens').selectAll().where('id', '=', id).where('database_name', '=', name),
      );
      if (!r) throw errors.notFound('The token does not exist.');
      await db.run(qb.deleteFrom('_database_tokens').where('id', '=', id));
      tokens.delete(r.hash);
    },

    /** What a database token opens, or undefined when it is unknown, revoked or expired. */
    async resolveToken(token: string): Promise<StreamAccess | undefined> {
      if (!token.startsWith(DATABASE_TOKEN_PREFIX) || token.length > 200) return undefined;
      let hash = hashes.get(token);
      if (hash === undefined) {
        hash = sha256(token);
        // bounded: a flood of made-up tokens empties it instead of growing it
        if (hashes.size >= MAX_HASHES) hashes.clear();
        hashes.set(token, hash);
      }
      const now = clock.now();
      let t = tokens.get(hash);
      if (!t || t.checked + TOKEN_CACHE_MS < now) {
        const r = await db.first<DatabaseTokensTable>(
          qb.selectFrom('_database_tokens').selectAll().where('hash', '=', hash),
        );
        if (!r) {
          tokens.delete(hash);
          return undefined;
        }
        t = {
          database: r.database_name,
          readOnly: Number(r.read_only) === 1,
          expires: r.expires,
          checked: now,
        };
        tokens.set(hash, t);
      }
      if (t.expires && t.expires <= nowDate(now)) return undefined;
      return { database: t.database, readOnly: t.readOnly };
    },

    /** The open database behind the protocol endpoints. */
    tenant,

    /** POST /api/databases/{name}/backups: a consistent copy (SQLite's online backup) while writes go on. */
    async backup(name: string) {
      const t = await tenant(name);
      const folder = join(backupsDir, name);
      mkdirSync(folder, { recursive: true });
      const file = `${nowDate(clock.now())
        .replace(/[-: .]/g, '')
        .slice(0, 17)}_${randomString(4)}.db`;
      await backup(t.connection, join(folder, `${file}.tmp`));
      renameSync(join(folder, `${file}.tmp`), join(folder, file));
      const st = statSync(join(folder, file));
      return { name: file, size: st.size, created: nowDate(st.mtimeMs) };
    },

    /** GET /api/databases/{name}/backups: newest first. */
    async listBackups(name: string) {
      await row(name);
      const folder = join(backupsDir, name);
      if (!existsSync(folder)) return [];
      return readdirSync(folder)
        .filter((f) => f.endsWith('.db'))
        .map((f) => {
          const st = statSync(join(folder, f));
          return { name: f, size: st.size, created: nowDate(st.mtimeMs) };
        })
        .sort((a, b) => (a.name < b.name ? 1 : -1));
    },

    /**
     * POST /api/databases/{name}/backups/{backup}/restore: replaces the database's file with
     * the backup; open streams (and their transactions) end.
     */
    async restore(name: string, backupName: string): Promise<void> {
      await row(name);
      const src = join(backupsDir, name, backupName);
      if (!/^[\w-]+\.db$/.test(backupName) || !existsSync(src))
        throw errors.notFound('The backup does not exist.');
      // all synchronous from here: no request runs on the database meanwhile
      closeTenant(name);
      copyFileSync(src, `${fileOf(name)}.restore`);
      removeFiles(name);
      renameSync(`${fileOf(name)}.restore`, fileOf(name));
      logger.info({ database: name, backup: backupName }, 'database restored');
    },

    /** GET /api/databases/{name}/stats (and, later, /metrics): size, tables, queries, errors, latency. */
    async stats(name: string) {
      const t = await tenant(name);
      return {
        name,
        size: sizeOf(name),
        tables: t.tables().length,
        ...t.counters(),
        openStreams: hrana.openStreams(name),
      };
    },

    /** The stats of every database open on this node, for /metrics (nothing is opened for it). */
    openStats() {
      return [...open.values()].map((t) => ({
        name: t.name,
        size: sizeOf(t.name),
        ...t.counters(),
        openStreams: hrana.openStreams(t.name),
      }));
    },

    /** Closes every open database (app stop). */
    close(): void {
      hrana.close();
      for (const name of [...open.keys()]) closeTenant(name);
    },
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function tokenJSON(r: DatabaseTokensTable) {
  return {
    id: r.id,
    database: r.database_name,
    readOnly: Number(r.read_only) === 1,
    expires: r.expires,
    created: r.created,
  };
}
