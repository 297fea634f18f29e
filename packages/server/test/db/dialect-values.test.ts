import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { sql } from '../../src/db/kysely.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

for (const dialect of DIALECTS) {
  describe(`dialect values (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
      await db.transaction((tx) =>
        db.ddl.applyTablePlan(tx, {
          name: 'names',
          columns: [
            { name: 'id', kind: 'text', primaryKey: true },
            { name: 'name', kind: 'text' },
            { name: 'flag', kind: 'bool' },
            { name: 'meta', kind: 'json' },
          ],
          indexes: [],
        }),
      );
      const names = ['50%_off\\now', '50xyoff\\now', '50%_OFF\\NOW', '50%_off', 'other'];
      for (const [i, name] of names.entries()) {
        await db.run(
          db.qb.insertInto('names').values({
            id: `n${i}`,
            name,
            flag: db.filter.bool(i % 2 === 0),
            meta: JSON.stringify({ name: i === 4 ? 'other' : 'x', n: i }),
          }),
        );
      }
    });
    after(() => close());

    test('decodeBool reads back what bool() stored, in a system table and a collection table', async () => {
      for (const [id, value] of [
        ['b1', true],
        ['b0', false],
      ] as const) {
        await db.run(
          db.sys.insertInto('_buckets').values({
            id,
            name: id,
            public: db.filter.bool(value),
            listRule: null,
            viewRule: null,
            createRule: null,
            updateRule: null,
            deleteRule: null,
            created: '',
            updated: '',
          }),
        );
      }
      const rows = await db.all(db.sys.selectFrom('_buckets').select(['id', 'public']).orderBy('id'));
      assert.deepEqual(
        rows.map((r) => [r.id, db.filter.decodeBool(r.public)]),
        [
          ['b0', false],
          ['b1', true],
        ],
      );
      const flags = await db.all<{ id: string; flag: unknown }>(
        db.qb.selectFrom('names').select(['id', 'flag']).orderBy('id'),
      );
      assert.deepEqual(
        flags.map((r) => db.filter.decodeBool(r.flag)),
        [true, false, true, false, true],
      );
    });

    test('toJson makes a column comparable with a jsonExtract value (text and number)', async () => {
      const f = db.filter;
      const rows = await db.all<{ id: string }>(
        db.qb
          .selectFrom('names')
          .select('id')
          .where(sql<boolean>`(${f.jsonExtract(sql.ref('meta'), ['name'])} = ${f.toJson(sql.ref('name'))})`)
          .orderBy('id'),
      );
      assert.deepEqual(
        rows.map((r) => r.id),
        ['n4'],
      );
      const numbers = await db.all<{ id: string }>(
        db.qb
          .selectFrom('names')
          .select('id')
          .where(
            sql<boolean>`(${f.jsonExtract(sql.ref('meta'), ['n'])} = ${f.toJson(f.toNumber(sql`${3}`, false))})`,
          ),
      );
      assert.deepEqual(
        numbers.map((r) => r.id),
        ['n3'],
      );
    });

    test('likeEscape makes % _ and \\ match only themselves in like()', async () => {
      const contains = (text: string) =>
        db.all<{ id: string }>(
          db.qb
            .selectFrom('names')
            .select('id')
            .where(db.filter.like(sql.ref('name'), sql`${`%${db.filter.likeEscape(text)}%`}`, false))
            .orderBy('id'),
        );
      // without escaping, % and _ would match 'xy' and '\n' would escape the n
      assert.deepEqual(
        (await contains('50%_off\\n')).map((r) => r.id),
        ['n0', 'n2'],
      );
      assert.deepEqual(
        (await contains('%_')).map((r) => r.id),
        ['n0', 'n2', 'n3'],
      );
      assert.deepEqual(await contains('_x'), []);
    });
  });
}
