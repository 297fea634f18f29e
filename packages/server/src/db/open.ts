import { join } from 'node:path';
import type { Database, SqlTrace } from './database.ts';
import { SqliteDatabase } from './sqlite/database.ts';
import { runSystemMigrations, type SystemMigration } from './system-migrations.ts';

/** The dialect a `--db` setting names: a postgres:// URL, else a SQLite file. */
export function dialectOf(db: string | undefined): 'sqlite' | 'postgres' {
  return db && /^postgres(ql)?:\/\//.test(db) ? 'postgres' : 'sqlite';
}

/**
 * Opens the database a config names: a postgres:// URL, or a SQLite file path (default
 * `<dataDir>/data.db`), and brings the system tables up to date with the capabilities'
 * `systemMigrations` (see src/system-migrations.ts).
 */
export async function openDatabase(opts: {
  db?: string;
  dataDir: string;
  sqliteSync?: 'NORMAL' | 'FULL';
  /** Read queries running longer are cancelled (see the dialects' `queryTimeoutMs`). */
  queryTimeoutSeconds?: number;
  /** Told of every statement and its duration (`serve --dev`, metrics, traces). */
  trace?: SqlTrace;
  /** SQLite: told how many write jobs shared each group commit (metrics). */
  onCommit?: (jobs: number) => void;
  systemMigrations: readonly SystemMigration[];
}): Promise<Database> {
  const queryTimeoutMs = (opts.queryTimeoutSeconds ?? 0) * 1000;
  const target = opts.db ?? join(opts.dataDir, 'data.db');
  // the PostgreSQL driver loads only when it is used (start-up time and memory on SQLite)
  const db: Database =
    dialectOf(target) === 'postgres'
      ? await (await import('./postgres/database.ts')).PostgresDatabase.open({
          url: target,
          queryTimeoutMs,
          ...(opts.trace ? { trace: opts.trace } : {}),
        })
      : new SqliteDatabase({
          path: target,
          queryTimeoutMs,
          ...(opts.trace ? { trace: opts.trace } : {}),
          ...(opts.sqliteSync ? { synchronous: opts.sqliteSync } : {}),
          ...(opts.onCommit ? { onCommit: opts.onCommit } : {}),
        });
  try {
    await runSystemMigrations(db, opts.systemMigrations);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * Opens the database request logs live in. On PostgreSQL: the app's own (a `_logs` table,
 * so every node's logs are in one place). Otherwise `<dataDir>/logs.db`, a SQLite file of
 * its own (WAL, synchronous NORMAL: a lost log line on power loss is acceptable), so log
 * writes never queue behind the app's writes. `owned` tells the caller to close it.
 */
export async function openLogDatabase(
  app: Database,
  opts: { dataDir: string; migrations: readonly SystemMigration[] },
): Promise<{ db: Database; owned: boolean }> {
  if (app.dialect === 'postgres') {
    await runSystemMigrations(app, opts.migrations);
    return { db: app, owned: false };
  }
  const db = await openDatabase({
    db: join(opts.dataDir, 'logs.db'),
    dataDir: opts.dataDir,
    sqliteSync: 'NORMAL',
    systemMigrations: opts.migrations,
  });
  return { db, owned: true };
}
