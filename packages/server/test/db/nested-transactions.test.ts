import assert from 'node:assert/strict';
import { AsyncResource } from 'node:async_hooks';
import { after, before, describe, test } from 'node:test';
import { type Database, DbError, type Transaction } from '../../src/db/database.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

/** Rejects when `p` has not settled within `ms` (a deadlock fails the test instead of hanging it). */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms (deadlock?)`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

for (const dialect of DIALECTS) {
  describe(`nested transactions (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
      await db.exec('CREATE TABLE nested (id TEXT PRIMARY KEY NOT NULL, v TEXT)');
    });
    after(() => close());

    const insert = (ex: Transaction | Database, id: string) =>
      ex.run(db.qb.insertInto('nested').values({ id, v: id }));
    const has = async (id: string, ex: Transaction | Database = db) =>
      (await ex.first(db.qb.selectFrom('nested').select('id').where('id', '=', id))) !== undefined;
    const ids = async (prefix: string) =>
      (
        await db.all<{ id: string }>(
          db.qb.selectFrom('nested').select('id').where('id', 'like', `${prefix}%`).orderBy('id'),
        )
      ).map((r) => r.id);

    test('writes of a savepoint commit with the transaction, and roll back with it', async () => {
      await db.transaction(async (tx) => {
        await insert(tx, 'c-outer');
        await tx.transaction((sp) => insert(sp, 'c-inner'));
      });
      assert.deepEqual(await ids('c-'), ['c-inner', 'c-outer']);
      await assert.rejects(
        db.transaction(async (tx) => {
          await insert(tx, 'r-outer');
          await tx.transaction((sp) => insert(sp, 'r-inner'));
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.deepEqual(await ids('r-'), []);
    });

    test('a failing savepoint rolls back only itself; the transaction goes on', async () => {
      await insert(db, 'f-taken');
      await db.transaction(async (tx) => {
        await insert(tx, 'f-before');
        await assert.rejects(
          tx.transaction(async (sp) => {
            await insert(sp, 'f-inner');
            // a failed statement: PostgreSQL aborts the transaction unless the savepoint rolls back
            await insert(sp, 'f-taken');
          }),
          (e: unknown) => e instanceof DbError && e.code === 'unique_violation',
        );
        assert.equal(await has('f-inner', tx), false);
        await insert(tx, 'f-after');
      });
      assert.deepEqual(await ids('f-'), ['f-after', 'f-before', 'f-taken']);
    });

    test('db.transaction() inside a write joins it as a savepoint (no deadlock, same connection)', async () => {
      await within(
        10_000,
        db.transaction(async (tx) => {
          await insert(tx, 'j-outer');
          await db.transaction(async (inner) => {
            // the outer write is not committed: seeing it means the same transaction
            assert.equal(await has('j-outer', inner), true);
            await insert(inner, 'j-inner');
          });
          // so do plain writes of the database
          await db.run(db.qb.insertInto('nested').values({ id: 'j-run', v: '' }));
          await assert.rejects(
            db.transaction(async (inner) => {
              await insert(inner, 'j-dropped');
              throw new Error('inner only');
            }),
            /inner only/,
          );
        }),
      );
      assert.deepEqual(await ids('j-'), ['j-inner', 'j-outer', 'j-run']);
    });

    test('afterCommit of a savepoint runs after the outer commit, never for a rolled-back one', async () => {
      const ran: string[] = [];
      await db.transaction(async (tx) => {
        await tx.transaction(async (sp) => sp.afterCommit(() => ran.push('kept')));
        await assert.rejects(
          tx.transaction(async (sp) => {
            sp.afterCommit(() => ran.push('dropped'));
            throw new Error('roll back');
          }),
          /roll back/,
        );
        assert.deepEqual(ran, []);
      });
      // afterCommit callbacks are queued as microtasks right after the commit
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      assert.deepEqual(ran, ['kept']);
    });

    test('after the transaction ended, a late call from its context gets its own transaction', async () => {
      let late: (() => Promise<unknown>) | undefined;
      let leaked: Transaction | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
        // like a timer started inside the transaction: runs later, in its async context
        late = AsyncResource.bind(() => db.transaction((t) => insert(t, 'l-late')));
      });
      await within(10_000, late!());
      assert.deepEqual(await ids('l-'), ['l-late']);
      // the ended transaction's executor refuses work instead of writing into another one
      await assert.rejects(insert(leaked!, 'l-leaked'), /already ended/);
    });

    test('sibling savepoints started together run one at a time', async () => {
      await db.transaction(async (tx) => {
        const results = await Promise.allSettled([
          tx.transaction((sp) => insert(sp, 's-a')),
          tx.transaction(async (sp) => {
            await insert(sp, 's-b');
            throw new Error('b fails');
          }),
          tx.transaction((sp) => insert(sp, 's-c')),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
      });
      assert.deepEqual(await ids('s-'), ['s-a', 's-c']);
    });

    test('50 concurrent writers, each nesting, commit and roll back as one, without deadlock', async () => {
      const writers = Array.from({ length: 50 }, (_, i) => {
        const n = String(i).padStart(2, '0');
        return db.transaction(async (tx) => {
          await insert(tx, `w${n}-a`);
          // nested through the database, as a service called inside the write would
          await db.transaction(async (inner) => {
            await insert(inner, `w${n}-b`);
            await inner.transaction((sp) => insert(sp, `w${n}-c`));
          });
          // every third writer has an inner failure it survives
          if (i % 3 === 0)
            await assert.rejects(
              tx.transaction(async (sp) => {
                await insert(sp, `w${n}-x`);
                throw new Error('inner failure');
              }),
              /inner failure/,
            );
          // every fifth writer fails as a whole: none of its writes stay
          if (i % 5 === 0) throw new Error(`writer ${n} fails`);
        });
      });
      const results = await within(60_000, Promise.allSettled(writers));
      const expected: string[] = [];
      results.forEach((r, i) => {
        assert.equal(r.status, i % 5 === 0 ? 'rejected' : 'fulfilled', `writer ${i}`);
        const n = String(i).padStart(2, '0');
        if (i % 5 !== 0) expected.push(`w${n}-a`, `w${n}-b`, `w${n}-c`);
      });
      assert.deepEqual(await ids('w'), expected);
    });
  });
}
