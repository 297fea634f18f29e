import type { SystemMigration } from '../db/system-migrations.ts';

/**
 * The S3-compatible API's own tables: access keys, multipart uploads and their parts.
 * Append only: never edit or rename a released entry.
 */
export const S3_MIGRATIONS: readonly SystemMigration[] = [
  {
    // S3-compatible API: access keys (the secret is kept as given, SigV4 needs it for the
    // HMAC), unfinished multipart uploads and their parts (bytes under `_buckets/<id>/_mp/`)
    name: '0008_s3_keys',
    sqlite: `
      CREATE TABLE _s3_keys (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '', accessKeyId TEXT NOT NULL,
        secret TEXT NOT NULL, buckets JSON NOT NULL DEFAULT '[]', readOnly INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _s3_keys_access ON _s3_keys (accessKeyId);
      CREATE TABLE _s3_uploads (
        id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL,
        contentType TEXT NOT NULL DEFAULT '', metadata JSON NOT NULL DEFAULT '{}', created TEXT NOT NULL);
      CREATE INDEX _s3_uploads_bucket ON _s3_uploads (bucket, name);
      CREATE TABLE _s3_parts (
        upload TEXT NOT NULL, number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
        created TEXT NOT NULL, PRIMARY KEY (upload, number));`,
    postgres: `
      CREATE TABLE _s3_keys (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '', "accessKeyId" TEXT NOT NULL,
        secret TEXT NOT NULL, buckets TEXT NOT NULL DEFAULT '[]', "readOnly" BOOLEAN NOT NULL DEFAULT FALSE,
        created TEXT NOT NULL, updated TEXT NOT NULL);
      CREATE UNIQUE INDEX _s3_keys_access ON _s3_keys ("accessKeyId");
      CREATE TABLE _s3_uploads (
        id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL COLLATE "C",
        "contentType" TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL);
      CREATE INDEX _s3_uploads_bucket ON _s3_uploads (bucket, name);
      CREATE TABLE _s3_parts (
        upload TEXT NOT NULL, number INTEGER NOT NULL, size BIGINT NOT NULL, etag TEXT NOT NULL,
        created TEXT NOT NULL, PRIMARY KEY (upload, number));`,
  },
];
