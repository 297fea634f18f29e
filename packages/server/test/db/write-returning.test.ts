import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

for (const dialect of DIALECTS) {
  describe(`writeReturning (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
    });
    after(() => close());

    const insert = (id: string) =>
      db.sys.insertInto('_cron_leases').values({ id, tick: 't1', node: 'n' }).returning(['id', 'tick']);

    test('answers the rows a write returns, committed on its own', async () => {
      assert.deepEqual(
        (await db.writeReturning(insert('a'))).map((r) => ({ ...r })),
        [{ id: 'a', tick: 't1' }],
      );
      const moved = await db.writeReturning(
        db.sys.updateTable('_cron_leases').set({ tick: 't2' }).where('id', '=', 'a').returning('tick'),
      );
      assert.deepEqual(
        moved.map((r) => ({ ...r })),
        [{ tick: 't2' }],
      );
      assert.equal(
        (await db.first(db.sys.selectFrom('_cron_leases').select('tick').where('id', '=', 'a')))?.tick,
        't2',
      );
    });

    test("inside a transaction's work it joins that transaction (a rollback takes it back)", async () => {
      await assert.rejects(
        db.transaction(async () => {
          assert.equal((await db.writeReturning(insert('b'))).length, 1);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(
        await db.first(db.sys.selectFrom('_cron_leases').select('id').where('id', '=', 'b')),
        undefined,
      );
    });
  });
}
