import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Database, DbError, type TablePlan } from '../../src/db/database.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

for (const dialect of DIALECTS) {
  describe(`Database (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
      await db.transaction((tx) =>
        db.ddl.applyTablePlan(tx, {
          name: 'things',
          columns: [
            { name: 'id', kind: 'text', primaryKey: true },
            { name: 'label', kind: 'text' },
            { name: 'n', kind: 'number' },
          ],
          indexes: [{ name: 'idx_things_label', unique: true, columns: [{ name: 'label', desc: false }] }],
        }),
      );
    });
    after(() => close());

    const count = async (where: string) =>
      Number(
        (await db.first<{ c: number }>(
          db.qb
            .selectFrom('things')
            .select((e) => e.fn.countAll().as('c'))
            .where('label', 'like', where),
        ))!.c,
      );

    test('a transaction commits its writes and runs afterCommit once committed', async () => {
      let ran = false;
      await db.transaction(async (tx) => {
        await tx.run(db.qb.insertInto('things').values({ id: 'a1', label: 'commit-1', n: 1 }));
        tx.afterCommit(() => {
          ran = true;
        });
        assert.equal(ran, false);
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(ran, true);
      assert.equal(await count('commit-%'), 1);
    });

    test('a throwing transaction rolls back and never runs afterCommit', async () => {
      let ran = false;
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run(db.qb.insertInto('things').values({ id: 'r1', label: 'rollback-1', n: 1 }));
          tx.afterCommit(() => {
            ran = true;
          });
          throw new Error('boom');
        }),
        /boom/,
      );
      await new Promise((r) => setImmediate(r));
      assert.equal(ran, false);
      assert.equal(await count('rollback-%'), 0);
    });

    test('concurrent transactions are isolated: one failure does not undo the others', async () => {
      const jobs = Array.from({ length: 20 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.run(db.qb.insertInto('things').values({ id: `g${i}`, label: `group-${i}`, n: i }));
          if (i % 5 === 0) throw new Error(`fail ${i}`);
          return i;
        }),
      );
      const results = await Promise.allSettled(jobs);
      assert.equal(results.filter((r) => r.status === 'rejected').length, 4);
      assert.equal(await count('group-%'), 16);
    });

    test('nested transactions roll back to their savepoint only', async () => {
      await db.transaction(async (tx) => {
        await tx.run(db.qb.insertInto('things').values({ id: 'n1', label: 'nested-outer', n: 1 }));
        const nested = (tx as unknown as { transaction: Database['transaction'] }).transaction;
        await assert.rejects(
          nested(async (inner) => {
            await inner.run(db.qb.insertInto('things').values({ id: 'n2', label: 'nested-inner', n: 2 }));
            throw new Error('inner');
          }),
        );
      });
      assert.equal(await count('nested-%'), 1);
    });

    test('a unique violation becomes DbError unique_violation naming the column', async () => {
      await db.run(db.qb.insertInto('things').values({ id: 'u1', label: 'unique-x', n: 0 }));
      const err = await db
        .run(db.qb.insertInto('things').values({ id: 'u2', label: 'unique-x', n: 0 }))
        .catch((e) => e);
      assert.ok(err instanceof DbError);
      assert.equal(err.code, 'unique_violation');
      assert.deepEqual(err.columns, ['label']);
    });

    test('jsonArrayHas matches an element of a JSON array column', async () => {
      await db.transaction((tx) =>
        db.ddl.applyTablePlan(tx, {
          name: 'tagged',
          columns: [
            { name: 'id', kind: 'text', primaryKey: true },
            { name: 'tags', kind: 'jsonArray' },
          ],
          indexes: [],
        }),
      );
      await db.run(db.qb.insertInto('tagged').values({ id: 't1', tags: '["a","b"]' }));
      await db.run(db.qb.insertInto('tagged').values({ id: 't2', tags: '["c"]' }));
      const rows = await db.all<{ id: string }>(
        db.qb.selectFrom('tagged').select('id').where(db.filter.jsonArrayHas('tags', 'b')),
      );
      assert.deepEqual(
        rows.map((r) => ({ ...r })),
        [{ id: 't1' }],
      );
      assert.equal(await db.ddl.hasTable(db, 'TAGGED'), true);
      assert.equal(await db.ddl.hasTable(db, 'missing_table'), false);
    });

    test('a table rebuild converts every kind and keeps row order', async () => {
      const create: TablePlan = {
        name: 'conv',
        columns: [
          { name: 'id', kind: 'text', primaryKey: true },
          { name: 't2n', kind: 'text' },
          { name: 'n2t', kind: 'number' },
          { name: 'b2t', kind: 'bool' },
          { name: 't2b', kind: 'text' },
          { name: 's2m', kind: 'text' },
          { name: 'm2s', kind: 'jsonArray' },
          { name: 'gone', kind: 'text' },
        ],
        indexes: [],
      };
      await db.transaction((tx) => db.ddl.applyTablePlan(tx, create));
      const rows = [
        {
          id: 'r1',
          t2n: '12.5',
          n2t: 7,
          b2t: db.filter.bool(true),
          t2b: 'true',
          s2m: 'x',
          m2s: '["a","b"]',
          gone: 'bye',
        },
        {
          id: 'r0',
          t2n: 'abc',
          n2t: 2.5,
          b2t: db.filter.bool(false),
          t2b: 'no',
          s2m: '',
          m2s: '[]',
          gone: '',
        },
      ];
      for (const r of rows) await db.run(db.qb.insertInto('conv').values(r));
      const from = (name: string, kind: TablePlan['columns'][number]['kind']) => ({ name, kind });
      await db.transaction((tx) =>
        db.ddl.applyTablePlan(tx, {
          from: 'conv',
          name: 'converted',
          columns: [
            { name: 'id', kind: 'text', primaryKey: true, from: from('id', 'text') },
            { name: 'num', kind: 'number', from: from('t2n', 'text') },
            { name: 'n2t', kind: 'text', from: from('n2t', 'number') },
            { name: 'b2t', kind: 'text', from: from('b2t', 'bool') },
            { name: 't2b', kind: 'bool', from: from('t2b', 'text') },
            { name: 's2m', kind: 'jsonArray', from: from('s2m', 'text') },
            { name: 'm2s', kind: 'text', from: from('m2s', 'jsonArray') },
            { name: 'fresh', kind: 'number' },
          ],
          indexes: [],
        }),
      );
      const out = await db.all<Record<string, unknown>>(
        db.qb
          .selectFrom('converted')
          .select(['id', 'num', 'n2t', 'b2t', 't2b', 's2m', 'm2s', 'fresh'])
          .orderBy(db.filter.rowIdColumn as 'id'),
      );
      const norm = out.map((r) => ({ ...r, t2b: !!r.t2b, s2m: JSON.parse(String(r.s2m)) }));
      assert.deepEqual(norm, [
        { id: 'r1', num: 12.5, n2t: '7', b2t: 'true', t2b: true, s2m: ['x'], m2s: 'b', fresh: 0 },
        { id: 'r0', num: 0, n2t: '2.5', b2t: 'false', t2b: false, s2m: [], m2s: '', fresh: 0 },
      ]);
      assert.equal(await db.ddl.hasTable(db, 'conv'), false);
    });

    test('queryColumns reports the kinds of a SELECT without running it', async () => {
      const cols = await db.transaction((tx) => db.ddl.queryColumns(tx, 'SELECT id, label, n FROM things'));
      assert.deepEqual(cols, [
        { name: 'id', kind: 'text' },
        { name: 'label', kind: 'text' },
        { name: 'n', kind: 'number' },
      ]);
      await assert.rejects(
        db.transaction((tx) => db.ddl.queryColumns(tx, 'SELECT nope FROM things')),
        DbError,
      );
    });
  });
}
