import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import type { SystemTables } from '../../src/db/system-tables.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

/** Every column of a table type, exactly: a missing or an extra one fails to compile. */
type ColumnSet<T> = { [K in keyof T]-?: true };

const COLUMNS: { [T in keyof SystemTables]-?: ColumnSet<SystemTables[T]> } = {
  _system_migrations: { name: true, applied: true },
  _collections: { id: true, name: true, type: true, data: true, created: true, updated: true },
  _migrations: { file: true, applied: true },
  _params: { id: true, value: true, created: true, updated: true },
  _changes: {
    seq: true,
    collection_id: true,
    record_id: true,
    action: true,
    record: true,
    tx_id: true,
    created: true,
  },
  _change_cursors: { name: true, position: true, updated: true },
  _cron_leases: { id: true, tick: true, node: true },
  _api_keys: {
    id: true,
    name: true,
    hash: true,
    scopes: true,
    expires: true,
    last_used: true,
    created: true,
  },
  _external_auths: {
    id: true,
    collection_ref: true,
    record_ref: true,
    provider: true,
    provider_id: true,
    created: true,
  },
  _totps: {
    collection_ref: true,
    record_ref: true,
    secret: true,
    confirmed: true,
    last_step: true,
    created: true,
  },
  _passkeys: {
    id: true,
    collection_ref: true,
    record_ref: true,
    public_key: true,
    counter: true,
    transports: true,
    name: true,
    created: true,
    last_used: true,
  },
  _passkey_challenges: { challenge: true, collection_ref: true, record_ref: true, kind: true, created: true },
  _buckets: {
    id: true,
    name: true,
    public: true,
    allowedMimeTypes: true,
    maxSize: true,
    listRule: true,
    viewRule: true,
    createRule: true,
    updateRule: true,
    deleteRule: true,
    created: true,
    updated: true,
  },
  _objects: {
    id: true,
    bucket: true,
    name: true,
    size: true,
    mimeType: true,
    etag: true,
    owner: true,
    metadata: true,
    created: true,
    updated: true,
  },
  _s3_keys: {
    id: true,
    name: true,
    accessKeyId: true,
    secret: true,
    buckets: true,
    readOnly: true,
    created: true,
    updated: true,
  },
  _s3_uploads: { id: true, bucket: true, name: true, contentType: true, metadata: true, created: true },
  _s3_parts: { upload: true, number: true, size: true, etag: true, created: true },
  _tus_uploads: {
    id: true,
    bucket: true,
    name: true,
    upsert: true,
    contentType: true,
    cacheControl: true,
    length: true,
    uploadOffset: true,
    owner: true,
    done: true,
    lockToken: true,
    lockedUntil: true,
    expires: true,
    created: true,
  },
  _audit: {
    seq: true,
    created: true,
    actorType: true,
    actorId: true,
    actorCollection: true,
    action: true,
    target: true,
    ip: true,
    data: true,
    prevHash: true,
    hash: true,
  },
  _audit_checkpoints: { seq: true, hash: true, kind: true, signature: true, publicKey: true, created: true },
  _user_secrets: { name: true, value: true, created: true, updated: true },
  _databases: {
    name: true,
    node: true,
    max_size_bytes: true,
    statement_timeout_ms: true,
    max_rows: true,
    idle_transaction_ms: true,
    created: true,
  },
  _database_tokens: {
    id: true,
    database_name: true,
    hash: true,
    read_only: true,
    expires: true,
    created: true,
  },
  _webhooks: {
    id: true,
    collection_id: true,
    events: true,
    url: true,
    secret: true,
    filter: true,
    enabled: true,
    failures: true,
    disabled_reason: true,
    from_seq: true,
    created: true,
    updated: true,
  },
  _webhook_deliveries: {
    id: true,
    webhook_id: true,
    dedup_key: true,
    event_id: true,
    change_seq: true,
    event: true,
    record_id: true,
    body: true,
    state: true,
    attempts: true,
    next_at: true,
    lease_until: true,
    lease_owner: true,
    status_code: true,
    duration_ms: true,
    response: true,
    error: true,
    redelivery_of: true,
    created: true,
    updated: true,
  },
};

for (const dialect of DIALECTS) {
  describe(`system tables (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
    });
    after(() => close());

    test('SystemTables names every table the system migrations create', async () => {
      const rows = await db.all<{ name: string }>(
        dialect === 'sqlite'
          ? {
              sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
              parameters: [],
            }
          : {
              sql: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
              parameters: [],
            },
      );
      assert.deepEqual(rows.map((r) => r.name).sort(), Object.keys(COLUMNS).sort());
    });

    test('each SystemTables entry has exactly the columns of its table', async () => {
      for (const [table, columns] of Object.entries(COLUMNS)) {
        const actual = await db.transaction((tx) =>
          db.ddl.queryColumns(tx, `SELECT * FROM ${db.filter.ident(table)}`),
        );
        assert.deepEqual(actual.map((c) => c.name).sort(), Object.keys(columns).sort(), table);
      }
    });

    test('rows read through db.sys come back with the types SystemTables gives them', async () => {
      await db.run(
        db.sys.insertInto('_buckets').values({
          id: 'b1',
          name: 'photos',
          public: db.filter.bool(true),
          maxSize: 10,
          listRule: null,
          viewRule: null,
          createRule: null,
          updateRule: null,
          deleteRule: null,
          created: 'c',
          updated: 'u',
        }),
      );
      const row = await db.first(
        db.sys.selectFrom('_buckets').select(['name', 'maxSize', 'allowedMimeTypes']),
      );
      // typed: `row.maxSize` is a number, a missing column would not compile
      const maxSize: number | undefined = row?.maxSize;
      assert.deepEqual({ ...row }, { name: 'photos', maxSize: 10, allowedMimeTypes: '[]' });
      assert.equal(maxSize, 10);
    });
  });
}

/** Compile-time checks only (never called): db.sys rejects what SystemTables does not have. */
export function typeChecks(db: Database): void {
  // @ts-expect-error no such system table
  db.sys.selectFrom('_no_such_table');
  // @ts-expect-error no such column
  db.sys.selectFrom('_buckets').select('nope');
  // @ts-expect-error size is a number
  db.sys.insertInto('_s3_parts').values({ upload: 'u', number: 1, size: 'big', etag: 'e', created: 'c' });
}
