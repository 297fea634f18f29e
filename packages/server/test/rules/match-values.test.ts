import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeRow, exportedFields } from '../../src/records/record-codec.ts';
import { VALUES_ALIAS, valuesMatch, viewerMatchesValues } from '../../src/rules/match-values.ts';
import { ruleCondition } from '../../src/rules/rule-condition.ts';
import { asSystem, type Viewer } from '../../src/rules/viewer.ts';
import type { Collection } from '../../src/schema/collection.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// rules/match-values.ts judges values that are not a stored row (a would-be record, a logged
// change, a would-be object). The filter-case suites (test/query/filter-cases-*) check that it
// agrees with the list query on every case; these tests cover what only it does.

for (const dialect of DIALECTS) {
  describe(`rules on values in memory (${dialect})`, () => {
    let t: TestApp;
    let notes: Collection;
    let users: Collection;
    const deps = () => ({ db: t.app.db, collection: (n: string) => t.app.collections.find(n) });
    const anonymous: Viewer = { superuser: false };
    /** Canonical values of a whole record: each field's empty value, then `partial`. */
    const full = (c: Collection, partial: Record<string, unknown>) => ({ ...decodeRow(c, {}), ...partial });
    const matches = (
      c: Collection,
      values: Record<string, unknown>,
      rule: string | null,
      viewer = anonymous,
    ) => viewerMatchesValues(deps(), t.app.db, c, full(c, values), { rule }, viewer);

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'notes',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'stars', type: 'number' },
          { name: 'done', type: 'bool' },
          { name: 'tags', type: 'select', values: ['a', 'b'], maxSelect: 2 },
          { name: 'data', type: 'json' },
        ],
      });
      await t.createCollection({ name: 'people', type: 'auth', fields: [{ name: 'name', type: 'text' }] });
      notes = t.app.collections.get('notes');
      users = t.app.collections.get('people');
    });
    after(() => t.close());

    test('values that were never stored are judged like a row of the table', async () => {
      const values = { id: 'n1', title: 'Hello', stars: 4, done: true, tags: ['a', 'b'], data: { k: 1 } };
      assert.equal(await matches(notes, values, "title = 'Hello' && stars > 3 && done = true"), true);
      assert.equal(await matches(notes, values, "tags:each ?= 'b' && data.k = 1"), true);
      assert.equal(await matches(notes, values, 'stars > 4'), false);
      assert.equal(await matches(notes, values, 'done = false'), false);
      // nothing was written by the checks
      assert.equal((await t.app.db.all(t.app.db.qb.selectFrom('notes').select('id'))).length, 0);
    });

    test('an open rule passes, a null rule passes only the system viewer', async () => {
      const values = { id: 'n2', title: 'x' };
      assert.equal(await matches(notes, values, ''), true);
      assert.equal(await matches(notes, values, null), false);
      assert.equal(await matches(notes, values, null, asSystem()), true);
    });

    test('the request a viewer carries binds @request.auth', async () => {
      const record = { id: 'u1', name: 'Ann' };
      const viewer: Viewer = { superuser: false, auth: { collection: users, record }, authId: 'u1' };
      const values = { id: 'n3', title: 'u1' };
      assert.equal(await matches(notes, values, 'title = @request.auth.id', viewer), true);
      assert.equal(await matches(notes, values, 'title = @request.auth.id'), false);
      assert.equal(await matches(notes, values, "@request.auth.name = 'Ann'", viewer), true);
    });

    test('a rule reading a column the values do not carry fails closed', async () => {
      const values = full(users, { id: 'u9', email: 'a@example.com', tokenKey: 'secret-key', name: 'x' });
      const rule = "tokenKey != ''";
      assert.equal(await matches(users, values, rule), true);
      // the change log carries the exported fields only (no tokenKey, no password)
      const logged = exportedFields(users);
      assert.equal(
        await viewerMatchesValues(deps(), t.app.db, users, values, { rule }, anonymous, logged),
        false,
      );
      // a real failure is not hidden: the low-level check throws it
      const cond = ruleCondition(deps(), users, rule, anonymous, VALUES_ALIAS);
      assert.equal(cond.kind, 'where');
      if (cond.kind === 'where')
        await assert.rejects(valuesMatch(t.app.db, t.app.db, users, values, [cond.sql], logged));
    });

    test("a client's filter is applied on top of the rule", async () => {
      const values = full(notes, { id: 'n4', title: 'Hi', stars: 2 });
      const check = (filter: string) =>
        viewerMatchesValues(deps(), t.app.db, notes, values, { rule: '', filter }, anonymous);
      assert.equal(await check('stars = 2'), true);
      assert.equal(await check('stars = 3'), false);
      // a filter the viewer may not use sees nothing
      assert.equal(await check("@request.method = 'GET'"), false);
    });

    test('text the table could not hold matches nothing on PostgreSQL', async () => {
      const values = { id: 'n5', title: 'a\u0000b' };
      assert.equal(await matches(notes, values, "title != ''"), dialect === 'sqlite');
    });
  });
}
