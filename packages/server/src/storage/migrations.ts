import type { SystemMigration } from '../db/system-migrations.ts';

/**
 * The storage capability's own tables: buckets and their objects, resumable (tus)
 * uploads. Append only: never edit or rename a released entry.
 */
export const STORAGE_MIGRATIONS: readonly SystemMigration[] = [
  {
    // storage buckets (ForgeBase's own API) and their objects; an object's bytes live in the
    // blob store under `_buckets/<bucket id>/<object id>`, so names can be anything
    name: '0007_storage_buckets',
    sqlite: `
      CREATE TABLE _buckets (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, public INTEGER NOT NULL DEFAULT 0,
        allowedMimeTypes JSON NOT NULL DEFAULT '[]', maxSize INTEGER NOT NULL DEFAULT 0,
        listRule TEXT, viewRule TEXT, createRule TEXT, updateRule TEXT, deleteRule TEXT,
        created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _buckets_name ON _buckets (name);
      CREATE TABLE _objects (
        id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL,
        size INTEGER NOT NULL, mimeType TEXT NOT NULL, etag TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '',
        metadata JSON NOT NULL DEFAULT '{}', created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _objects_name ON _objects (bucket, name);`,
    postgres: `
      CREATE TABLE _buckets (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, public BOOLEAN NOT NULL DEFAULT FALSE,
        "allowedMimeTypes" TEXT NOT NULL DEFAULT '[]', "maxSize" BIGINT NOT NULL DEFAULT 0,
        "listRule" TEXT, "viewRule" TEXT, "createRule" TEXT, "updateRule" TEXT, "deleteRule" TEXT,
        created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _buckets_name ON _buckets (name);
      CREATE TABLE _objects (
        id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL COLLATE "C",
        size BIGINT NOT NULL, "mimeType" TEXT NOT NULL, etag TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _objects_name ON _objects (bucket, name);`,
  },
  {
    // resumable (tus) uploads: state here, received chunks as blobs under `_tus/<id>/`, so
    // any node with the same database and blob store can continue an upload
    name: '0009_tus_uploads',
    sqlite: `
      CREATE TABLE _tus_uploads (
        id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL,
        upsert INTEGER NOT NULL DEFAULT 0, contentType TEXT NOT NULL DEFAULT '',
        cacheControl TEXT NOT NULL DEFAULT '', length INTEGER NOT NULL, uploadOffset INTEGER NOT NULL DEFAULT 0,
        owner TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0,
        lockToken TEXT NOT NULL DEFAULT '', lockedUntil TEXT NOT NULL DEFAULT '',
        expires TEXT NOT NULL, created TEXT NOT NULL);
      CREATE INDEX _tus_uploads_expires ON _tus_uploads (expires);`,
    postgres: `
      CREATE TABLE _tus_uploads (
        id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL,
        upsert INTEGER NOT NULL DEFAULT 0, "contentType" TEXT NOT NULL DEFAULT '',
        "cacheControl" TEXT NOT NULL DEFAULT '', length BIGINT NOT NULL, "uploadOffset" BIGINT NOT NULL DEFAULT 0,
        owner TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0,
        "lockToken" TEXT NOT NULL DEFAULT '', "lockedUntil" TEXT NOT NULL DEFAULT '',
        expires TEXT NOT NULL, created TEXT NOT NULL);
      CREATE INDEX _tus_uploads_expires ON _tus_uploads (expires);`,
  },
];
