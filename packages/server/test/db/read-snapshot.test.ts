import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database, Executor } from '../../src/db/database.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

for (const dialect of DIALECTS) {
  describe(`db.readSnapshot (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
      await db.exec('CREATE TABLE snap (id TEXT PRIMARY KEY NOT NULL)');
    });
    after(() => close());

    const count = async (ex: Executor) =>
      Number(
        (await ex.first<{ n: unknown }>(db.qb.selectFrom('snap').select((eb) => eb.fn.countAll().as('n'))))
          ?.n,
      );
    const rows = async (ex: Executor) => (await ex.all(db.qb.selectFrom('snap').select('id'))).length;

    test('a page and its count read together agree, whatever commits meanwhile', async () => {
      const seen = await db.readSnapshot(async (ex) => {
        // what a list does: both reads issued at once
        const both = Promise.all([rows(ex), count(ex)]);
        await db.transaction((tx) => tx.run(db.qb.insertInto('snap').values({ id: `a${Math.random()}` })));
        return both;
      });
      assert.equal(seen[0], seen[1]);
    });

    test('PostgreSQL: every read of one snapshot sees the same state; a write in it fails', {
      skip: dialect !== 'postgres',
    }, async () => {
      const [before, afterWrite] = await db.readSnapshot(async (ex) => {
        const first = await count(ex);
        await db.transaction((tx) => tx.run(db.qb.insertInto('snap').values({ id: 'late' })));
        return [first, await count(ex)];
      });
      assert.equal(afterWrite, before);
      assert.equal(await count(db), before + 1);
      await assert.rejects(
        db.readSnapshot((ex) => ex.run(db.qb.insertInto('snap').values({ id: 'nope' }))),
        (e: { code?: string }) => e.code === 'read_only',
      );
    });
  });
}
