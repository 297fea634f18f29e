import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

for (const dialect of DIALECTS) {
  describe(`lockForClaim (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
      await db.run(
        db.sys.insertInto('_cron_leases').values([
          { id: 'a', tick: 't', node: 'n' },
          { id: 'b', tick: 't', node: 'n' },
        ]),
      );
    });
    after(() => close());

    const claim = () => db.filter.lockForClaim(db.sys.selectFrom('_cron_leases').select('id').orderBy('id'));

    test('a claim skips the rows another open transaction claimed (PostgreSQL) or runs as is (SQLite)', async () => {
      if (dialect === 'sqlite') {
        assert.doesNotMatch(claim().compile().sql, /for update/i);
        const ids = await db.transaction(async (tx) => (await tx.all(claim())).map((r) => r.id));
        assert.deepEqual(ids, ['a', 'b']);
        return;
      }
      assert.match(claim().compile().sql, /for update skip locked/i);
      let holding!: () => void;
      const held = new Promise<void>((r) => {
        holding = r;
      });
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      const first = db.transaction(async (tx) => {
        const ids = (await tx.all(claim().where('id', '=', 'a'))).map((r) => r.id);
        holding();
        await released;
        return ids;
      });
      await held;
      const second = await db.transaction(async (tx) => (await tx.all(claim())).map((r) => r.id));
      release();
      assert.deepEqual([await first, second], [['a'], ['b']]);
      const after = await db.transaction(async (tx) => (await tx.all(claim())).map((r) => r.id));
      assert.deepEqual(after, ['a', 'b']);
    });
  });
}
