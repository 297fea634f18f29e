import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import {
  orderSystemMigrations,
  runSystemMigrations,
  type SystemMigration,
} from '../../src/db/system-migrations.ts';
import { SYSTEM_MIGRATIONS } from '../../src/system-migrations.ts';
import { DIALECTS } from '../support/app.ts';
import { schemaUrl } from '../support/pg.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

// names recorded in existing databases: renaming or reordering one would re-run it there
const RELEASED = [
  '0001_init',
  '0002_auth_otps_mfas',
  '0003_api_keys',
  '0004_external_auths',
  '0005_totps',
  '0006_passkeys',
  '0007_storage_buckets',
  '0008_s3_keys',
  '0009_tus_uploads',
];

const both = (name: string, sql: string): SystemMigration => ({ name, sqlite: sql, postgres: sql });

test('the capabilities together keep the released system migrations, names and order', () => {
  assert.deepEqual(
    orderSystemMigrations(SYSTEM_MIGRATIONS)
      .map((m) => m.name)
      .slice(0, RELEASED.length),
    RELEASED,
  );
});

test('two system migrations with one name are refused', () => {
  assert.throws(
    () => orderSystemMigrations([both('0100_a', 'SELECT 1'), both('0100_a', 'SELECT 2')]),
    /two system migrations are named 0100_a/,
  );
});

for (const dialect of DIALECTS) {
  describe(`system migrations (${dialect})`, () => {
    let storage: TestStorage;
    let db: Database;
    const open = () =>
      openDatabase({
        dataDir: storage.dir,
        systemMigrations: SYSTEM_MIGRATIONS,
        ...(dialect === 'postgres' ? { db: schemaUrl(storage.schema) } : {}),
      });
    before(async () => {
      storage = testStorage(dialect, 'fb-sysmig-');
      db = await open();
    });
    after(async () => {
      await db.close();
      await storage.remove();
    });

    const applied = () =>
      db.all(db.sys.selectFrom('_system_migrations').select(['name', 'applied']).orderBy('name'));

    test('a new database records every migration once; reopening it applies nothing', async () => {
      const first = await applied();
      assert.deepEqual(
        first.map((r) => r.name),
        orderSystemMigrations(SYSTEM_MIGRATIONS).map((m) => m.name),
      );
      await db.close();
      db = await open();
      assert.deepEqual(await applied(), first);
    });

    test('lists from several capabilities run in name order, whatever order they come in', async () => {
      const later = [both('9001_fill', "INSERT INTO _t_order (id) VALUES ('x')")];
      const earlier = [both('9000_create', 'CREATE TABLE _t_order (id TEXT PRIMARY KEY NOT NULL)')];
      await runSystemMigrations(db, [...SYSTEM_MIGRATIONS, ...later, ...earlier]);
      const rows = await db.all<{ id: string }>({ sql: 'SELECT id FROM _t_order', parameters: [] });
      assert.deepEqual(
        rows.map((r) => r.id),
        ['x'],
      );
      const names = (await applied()).map((r) => r.name);
      assert.deepEqual(names.slice(-2), ['9000_create', '9001_fill']);
    });

    test('a failing migration rolls back alone and is not recorded', async () => {
      const bad = both('9002_bad', 'CREATE TABLE _t_bad (id TEXT); SELECT * FROM _no_such_table');
      await assert.rejects(runSystemMigrations(db, [...SYSTEM_MIGRATIONS, bad]));
      assert.equal(await db.ddl.hasTable(db, '_t_bad'), false);
      assert.equal(
        (await applied()).some((r) => r.name === '9002_bad'),
        false,
      );
    });
  });
}
