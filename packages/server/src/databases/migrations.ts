import type { SystemMigration } from '../db/system-migrations.ts';

const DATABASES = `
  CREATE TABLE _databases (
    name TEXT PRIMARY KEY NOT NULL, node TEXT NOT NULL, max_size_bytes BIGINT NOT NULL,
    statement_timeout_ms INTEGER NOT NULL, max_rows INTEGER NOT NULL,
    idle_transaction_ms INTEGER NOT NULL, created TEXT NOT NULL);
  CREATE TABLE _database_tokens (
    id TEXT PRIMARY KEY NOT NULL, database_name TEXT NOT NULL, hash TEXT NOT NULL,
    read_only INTEGER NOT NULL, expires TEXT NOT NULL, created TEXT NOT NULL);
  CREATE UNIQUE INDEX _database_tokens_hash ON _database_tokens (hash);
  CREATE INDEX _database_tokens_database ON _database_tokens (database_name);`;

/**
 * The tenant databases' metadata (the data itself is one SQLite file per database under
 * `<dataDir>/databases/`): names, owner node, quotas and database tokens (sha256 only).
 * Append only: never edit or rename a released entry.
 */
export const DATABASES_MIGRATIONS: readonly SystemMigration[] = [
  { name: '0013_databases', sqlite: DATABASES, postgres: DATABASES },
];
