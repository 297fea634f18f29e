import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CHANGES_MIGRATIONS } from '../../src/changes/migrations.ts';
import { openDatabase } from '../../src/db/open.ts';
import { SYSTEM_MIGRATIONS } from '../../src/system-migrations.ts';
import { DIALECTS } from '../support/app.ts';
import { schemaUrl } from '../support/pg.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

for (const dialect of DIALECTS) {
  describe(`change log upgrade (${dialect})`, () => {
    let storage: TestStorage;
    before(() => {
      storage = testStorage(dialect, 'fb-changes-up-');
    });
    after(() => storage.remove());

    const open = (systemMigrations: typeof SYSTEM_MIGRATIONS) =>
      openDatabase({
        dataDir: storage.dir,
        systemMigrations,
        ...(dialect === 'postgres' ? { db: schemaUrl(storage.schema) } : {}),
      });

    test('a database made before the durable change log gains tx_id and _change_cursors, keeping its rows', async () => {
      const older = SYSTEM_MIGRATIONS.filter((m) => !CHANGES_MIGRATIONS.includes(m));
      const before = await open(older);
      await before.run({
        sql:
          dialect === 'postgres'
            ? 'INSERT INTO _changes (collection_id, record_id, action, record, created) VALUES ($1, $2, $3, $4, $5)'
            : 'INSERT INTO _changes (collection_id, record_id, action, record, created) VALUES (?, ?, ?, ?, ?)',
        parameters: ['c1', 'r1', 'create', '{}', '2026-01-01 00:00:00.000Z'],
      });
      await before.close();

      const db = await open(SYSTEM_MIGRATIONS);
      try {
        const rows = await db.all(db.sys.selectFrom('_changes').select(['record_id', 'tx_id']));
        assert.deepEqual(
          rows.map((r) => [r.record_id, Number(r.tx_id)]),
          [['r1', 0]],
        );
        await db.run(db.sys.insertInto('_change_cursors').values({ name: 'x', position: 1, updated: 'now' }));
        const cursors = await db.all(db.sys.selectFrom('_change_cursors').select(['name', 'position']));
        assert.deepEqual(
          cursors.map((r) => [r.name, Number(r.position)]),
          [['x', 1]],
        );
      } finally {
        await db.close();
      }
    });
  });
}
