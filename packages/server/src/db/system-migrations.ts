import type { Database } from './database.ts';

/**
 * Migrations of ForgeBase's own tables, per dialect, applied in order at start-up and
 * recorded in `_system_migrations`. Append only: never edit a released entry.
 */
interface SystemMigration {
  name: string;
  sqlite: string;
  postgres: string;
}

const OTPS_MFAS = `
  CREATE TABLE _otps (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    password TEXT NOT NULL, sent_to TEXT NOT NULL, created TEXT NOT NULL);
  CREATE INDEX _otps_record ON _otps (collection_ref, record_ref);
  CREATE TABLE _mfas (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    method TEXT NOT NULL, created TEXT NOT NULL);`;

const API_KEYS = `
  CREATE TABLE _api_keys (
    id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL, scopes TEXT NOT NULL,
    expires TEXT NOT NULL, last_used TEXT NOT NULL, created TEXT NOT NULL);
  CREATE UNIQUE INDEX _api_keys_hash ON _api_keys (hash);`;

const EXTERNAL_AUTHS = `
  CREATE TABLE _external_auths (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    provider TEXT NOT NULL, provider_id TEXT NOT NULL, created TEXT NOT NULL);
  CREATE UNIQUE INDEX _external_auths_provider ON _external_auths (collection_ref, provider, provider_id);
  CREATE INDEX _external_auths_record ON _external_auths (collection_ref, record_ref);`;

const TOTPS = `
  CREATE TABLE _totps (
    collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL, secret TEXT NOT NULL,
    confirmed INTEGER NOT NULL, last_step BIGINT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (collection_ref, record_ref));`;

const PASSKEYS = `
  CREATE TABLE _passkeys (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    public_key TEXT NOT NULL, counter BIGINT NOT NULL, transports TEXT NOT NULL, name TEXT NOT NULL,
    created TEXT NOT NULL, last_used TEXT NOT NULL);
  CREATE INDEX _passkeys_record ON _passkeys (collection_ref, record_ref);
  CREATE TABLE _passkey_challenges (
    challenge TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    kind TEXT NOT NULL, created TEXT NOT NULL);`;

const MIGRATIONS: SystemMigration[] = [
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
  {
    // one-time passwords (hashed) and pending multi-factor sign-ins, like PocketBase's
    name: '0002_auth_otps_mfas',
    sqlite: OTPS_MFAS,
    postgres: OTPS_MFAS,
  },
  {
    // ForgeBase's API keys: only a sha256 of the secret is kept
    name: '0003_api_keys',
    sqlite: API_KEYS,
    postgres: API_KEYS,
  },
  {
    // which provider identity (OAuth2) belongs to which auth record
    name: '0004_external_auths',
    sqlite: EXTERNAL_AUTHS,
    postgres: EXTERNAL_AUTHS,
  },
  {
    // authenticator-app (TOTP) secrets of auth records; last_step makes each code single-use
    name: '0005_totps',
    sqlite: TOTPS,
    postgres: TOTPS,
  },
  {
    // WebAuthn credentials (passkeys) of auth records, and the pending challenges (single-use)
    name: '0006_passkeys',
    sqlite: PASSKEYS,
    postgres: PASSKEYS,
  },
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

/** Brings ForgeBase's own tables up to date. Safe to run on every start. */
export async function runSystemMigrations(db: Database): Promise<void> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS _system_migrations (name TEXT PRIMARY KEY NOT NULL, applied TEXT NOT NULL)',
  );
  const done = new Set(
    (await db.all<{ name: string }>(db.sys.selectFrom('_system_migrations').select('name'))).map(
      (r) => r.name,
    ),
  );
  for (const m of MIGRATIONS) {
    if (done.has(m.name)) continue;
    await db.transaction(async (tx) => {
      await tx.exec(db.dialect === 'sqlite' ? m.sqlite : m.postgres);
      await tx.run(
        db.sys.insertInto('_system_migrations').values({ name: m.name, applied: new Date().toISOString() }),
      );
    });
  }
}
