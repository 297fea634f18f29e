import type { ColumnType, Generated } from 'kysely';

/**
 * The shape of ForgeBase's own tables, as their system migrations create them, for
 * `db.sys` (a `Kysely<SystemTables>`): a misspelt table or column, or a value of the wrong
 * type, fails to compile, and rows read through an Executor come back typed. Collection
 * tables are dynamic and stay on `db.qb`.
 *
 * Adding a system table: its migration (in its capability's migrations.ts) and its entry
 * here, with the types the drivers return (JSON columns as text, numbers as numbers).
 */
export interface SystemTables {
  _system_migrations: { name: string; applied: string };
  _collections: CollectionsTable;
  _migrations: { file: string; applied: string };
  _params: ParamsTable;
  _changes: ChangesTable;
  _change_cursors: ChangeCursorsTable;
  _cron_leases: CronLeasesTable;
  _api_keys: ApiKeysTable;
  _external_auths: ExternalAuthsTable;
  _totps: TotpsTable;
  _passkeys: PasskeysTable;
  _passkey_challenges: PasskeyChallengesTable;
  _buckets: BucketsTable;
  _objects: ObjectsTable;
  _s3_keys: S3KeysTable;
  _s3_uploads: S3UploadsTable;
  _s3_parts: S3PartsTable;
  _tus_uploads: TusUploadsTable;
  _audit: AuditTable;
  _audit_checkpoints: AuditCheckpointsTable;
  _user_secrets: UserSecretsTable;
  _databases: DatabasesTable;
  _database_tokens: DatabaseTokensTable;
  _webhooks: WebhooksTable;
  _webhook_deliveries: WebhookDeliveriesTable;
}

/**
 * A boolean column as stored: 0/1 on SQLite (INTEGER), true/false on PostgreSQL
 * (BOOLEAN). Write `db.filter.bool(v)`, read `db.filter.decodeBool(v)`.
 */
export type StoredBool = number | boolean;

/** A column with a default: optional on insert. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** A collection's definition; `data` is the collection as JSON text. */
export interface CollectionsTable {
  id: string;
  name: string;
  type: string;
  data: string;
  created: string;
  updated: string;
}

/** Key-value settings (`_params`); `value` is JSON text. */
export interface ParamsTable {
  id: string;
  value: string | null;
  created: string;
  updated: string;
}

/** The change log: one row per changed record, `record` as JSON text (null on delete). */
export interface ChangesTable {
  seq: Generated<number>;
  collection_id: string;
  record_id: string;
  action: string;
  record: string | null;
  /** The writing transaction: PostgreSQL's xid8, on SQLite the transaction's first seq. */
  tx_id: Defaulted<number>;
  created: string;
}

/** Where each durable change-log consumer stands: the last seq it has handled. */
export interface ChangeCursorsTable {
  name: string;
  position: number;
  updated: string;
}

/** The last tick of each cron job some node claimed (crons/cron-leases.ts). */
export interface CronLeasesTable {
  id: string;
  /** ISO time of the scheduled run. */
  tick: string;
  /** The claiming process (a random id per app). */
  node: string;
}

/** API keys: only the sha256 of the secret; `scopes` as JSON text. */
export interface ApiKeysTable {
  id: string;
  name: string;
  hash: string;
  scopes: string;
  expires: string;
  last_used: string;
  created: string;
}

/**
 * Where OAuth2 links were kept before `_externalAuths` became a system collection: a
 * start moves them over and drops it (auth/auth-collections.ts, adoptExternalAuths).
 */
export interface ExternalAuthsTable {
  id: string;
  collection_ref: string;
  record_ref: string;
  provider: string;
  provider_id: string;
  created: string;
}

/** Authenticator-app secrets; `confirmed` is 0/1 on both dialects (INTEGER). */
export interface TotpsTable {
  collection_ref: string;
  record_ref: string;
  secret: string;
  confirmed: number;
  last_step: number;
  created: string;
}

/** WebAuthn credentials; `transports` as JSON text. */
export interface PasskeysTable {
  id: string;
  collection_ref: string;
  record_ref: string;
  public_key: string;
  counter: number;
  transports: string;
  name: string;
  created: string;
  last_used: string;
}

/** Pending WebAuthn challenges (single-use). */
export interface PasskeyChallengesTable {
  challenge: string;
  collection_ref: string;
  record_ref: string;
  kind: string;
  created: string;
}

/** Storage buckets; `allowedMimeTypes` as JSON text. */
export interface BucketsTable {
  id: string;
  name: string;
  public: Defaulted<StoredBool>;
  allowedMimeTypes: Defaulted<string>;
  maxSize: Defaulted<number>;
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  created: string;
  updated: string;
}

/** Objects of storage buckets; `metadata` as JSON text. */
export interface ObjectsTable {
  id: string;
  bucket: string;
  name: string;
  size: number;
  mimeType: string;
  etag: string;
  owner: Defaulted<string>;
  metadata: Defaulted<string>;
  created: string;
  updated: string;
}

/** S3 access keys; `buckets` as JSON text. */
export interface S3KeysTable {
  id: string;
  name: Defaulted<string>;
  accessKeyId: string;
  secret: string;
  buckets: Defaulted<string>;
  readOnly: Defaulted<StoredBool>;
  created: string;
  updated: string;
}

/** Unfinished S3 multipart uploads; `metadata` as JSON text. */
export interface S3UploadsTable {
  id: string;
  bucket: string;
  name: string;
  contentType: Defaulted<string>;
  metadata: Defaulted<string>;
  created: string;
}

/** Received parts of S3 multipart uploads. */
export interface S3PartsTable {
  upload: string;
  number: number;
  size: number;
  etag: string;
  created: string;
}

/** Resumable (tus) uploads; `upsert` and `done` are 0/1 on both dialects (INTEGER). */
export interface TusUploadsTable {
  id: string;
  bucket: string;
  name: string;
  upsert: Defaulted<number>;
  contentType: Defaulted<string>;
  cacheControl: Defaulted<string>;
  length: number;
  uploadOffset: Defaulted<number>;
  owner: Defaulted<string>;
  done: Defaulted<number>;
  lockToken: Defaulted<string>;
  lockedUntil: Defaulted<string>;
  expires: string;
  created: string;
}

/** The audit chain (audit/audit-store.ts); `data` is JSON text on SQLite, parsed on PostgreSQL. */
export interface AuditTable {
  seq: number;
  created: string;
  actorType: string;
  actorId: string;
  actorCollection: string;
  action: string;
  target: string;
  ip: string;
  data: unknown;
  prevHash: string;
  hash: string;
}

/** Signed heads of the audit chain, and the points where pruning cut it (`kind`). */
export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  /** `head` (a periodic signature) or `prune` (the last entry pruning deleted). */
  kind: string;
  /** base64 Ed25519 signature, '' when no signing key is configured. */
  signature: string;
  /** base64 (raw 32 bytes) of the public key that signed it, '' when unsigned. */
  publicKey: string;
  created: string;
}

/** User secrets for functions; `value` is sealed (`fbenc:v1:…`). */
export interface UserSecretsTable {
  name: string;
  value: string;
  created: string;
  updated: string;
}

/** A tenant database (databases/): its file is `<dataDir>/databases/<name>.db` on `node`. */
export interface DatabasesTable {
  name: string;
  node: string;
  /** BIGINT: a string from pg, a number from SQLite; read with Number(). */
  max_size_bytes: number | string;
  statement_timeout_ms: number;
  max_rows: number;
  idle_transaction_ms: number;
  created: string;
}

/** A database token: bound to one database, read-only or not; only its sha256 is kept. */
export interface DatabaseTokensTable {
  id: string;
  database_name: string;
  hash: string;
  /** 0 or 1 on both dialects. */
  read_only: number;
  expires: string;
  created: string;
}

/** A webhook (jobs/webhooks/): `events` is a JSON array, `secret` sealed, `enabled` 0 or 1. */
export interface WebhooksTable {
  id: string;
  collection_id: string;
  events: string;
  url: string;
  secret: string;
  filter: string;
  enabled: number;
  /** Deliveries in a row that failed after their last attempt (reset by a success). */
  failures: number;
  disabled_reason: string;
  /** The newest change seq when it was made: only later changes are delivered. */
  from_seq: number | string;
  created: string;
  updated: string;
}

/** One delivery of a change to a webhook; BIGINT columns come back as strings from pg. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  dedup_key: string;
  event_id: string;
  change_seq: number | string;
  event: string;
  record_id: string;
  body: string;
  /** `pending`, `succeeded` or `failed`. */
  state: string;
  attempts: number;
  /** Epoch ms of the next attempt. */
  next_at: number | string;
  /** Epoch ms until which a node holds the delivery (0: free). */
  lease_until: number | string;
  lease_owner: string;
  status_code: number;
  duration_ms: number;
  response: string;
  error: string;
  /** The delivery this one sends again ('' for none). */
  redelivery_of: string;
  created: string;
  updated: string;
}
