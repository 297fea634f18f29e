import type { SystemMigration } from '../db/system-migrations.ts';

/**
 * The core tables every app has, created by the first system migration (one entry, as
 * released): `_collections` (schema), `_migrations` (the user migration runner),
 * `_params` (settings) and `_changes` (the change log). Later tables of those
 * capabilities go in their own migrations.ts. Append only: never edit or rename a
 * released entry.
 */
export const CORE_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: '0001_init',
    sqlite: `
      CREATE TABLE _collections (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
        data JSON NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _collections_name ON _collections (name COLLATE NOCASE);
      CREATE TABLE _migrations (file TEXT PRIMARY KEY NOT NULL, applied TEXT NOT NULL);
      CREATE TABLE _params (id TEXT PRIMARY KEY NOT NULL, value JSON, created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE TABLE _changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, collection_id TEXT NOT NULL, record_id TEXT NOT NULL,
        action TEXT NOT NULL, record JSON, created TEXT NOT NULL);`,
    postgres: `
      CREATE TABLE _collections (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
        data TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _collections_name ON _collections (lower(name));
      CREATE TABLE _migrations (file TEXT PRIMARY KEY NOT NULL, applied TEXT NOT NULL);
      CREATE TABLE _params (id TEXT PRIMARY KEY NOT NULL, value TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE TABLE _changes (
        seq BIGSERIAL PRIMARY KEY, collection_id TEXT NOT NULL, record_id TEXT NOT NULL,
        action TEXT NOT NULL, record TEXT, created TEXT NOT NULL);`,
  },
];
