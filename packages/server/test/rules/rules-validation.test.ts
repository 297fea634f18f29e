import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// PocketBase validates every rule when a collection is saved: a rule that does not parse or
// names an unknown field is a 400 with `data.<rule>.code = 'validation_invalid_rule'`
// (pb-spec §1.4, "Invalid rule. Raw error: <err>.").

const RULES = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const;

/** Asserts the 400 of a rejected collection save, with invalid-rule errors on exactly `keys`. */
function assertInvalidRules(
  res: { status: number; body: any },
  keys: string[],
  message = 'Failed to create collection.',
): void {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.message, message);
  assert.equal(res.body.status, 400);
  assert.deepEqual(Object.keys(res.body.data).sort(), [...keys].sort());
  for (const k of keys) {
    assert.equal(res.body.data[k].code, 'validation_invalid_rule', k);
    assert.match(res.body.data[k].message, /^Invalid rule\. Raw error: .+\.$/, k);
  }
}

for (const dialect of DIALECTS) {
  describe(`rules validated on collection save (${dialect})`, () => {
    let t: TestApp;
    let tags: any;
    before(async () => {
      t = await startTestApp(dialect);
      tags = await t.createCollection({ name: 'tags', fields: [{ name: 'label', type: 'text' }] });
    });
    after(() => t.close());

    const create = (name: string, rules: Record<string, unknown>) =>
      t.request('POST', '/api/collections', {
        token: 'superuser',
        body: {
          name,
          ...rules,
          fields: [
            { name: 'title', type: 'text' },
            { name: 'tag', type: 'relation', collectionId: tags.id, maxSelect: 1 },
          ],
        },
      });

    test('a rule naming an unknown field is rejected, for each rule', async () => {
      for (const rule of RULES) {
        const res = await create(`bad_${rule.toLowerCase()}`, { [rule]: "nope = 'x'" });
        assertInvalidRules(res, [rule]);
        const missing = await t.request('GET', `/api/collections/bad_${rule.toLowerCase()}`, {
          token: 'superuser',
        });
        assert.equal(missing.status, 404);
      }
    });

    test('a rule with a syntax error is rejected', async () => {
      for (const rule of [
        "title = 'unterminated",
        'title =',
        '(title = 1',
        'title = 1)',
        'title == 1',
        'title = 1 &&',
        'title = 1 & title = 2',
        '&& title = 1',
        "title = 'x'; DROP TABLE tags",
        'title = 1 /* comment */',
        '@request.auth.',
        "title = 'a' title = 'b'",
      ]) {
        const res = await create('syntax', { listRule: rule });
        assertInvalidRules(res, ['listRule']);
        assert.ok(res.body.data.listRule.message.length < 400, rule);
      }
    });

    test('every invalid rule is reported at once', async () => {
      const res = await create('many', {
        listRule: 'a = 1',
        viewRule: 'title = ',
        createRule: 'tag.nope = 1',
        updateRule: "title ~ 'ok'",
        deleteRule: 'unknownFn(title) = 1',
      });
      assertInvalidRules(res, ['listRule', 'viewRule', 'createRule', 'deleteRule']);
    });

    test('relation paths are checked against the related collection', async () => {
      assertInvalidRules(await create('rel_bad', { listRule: "tag.missing = 'x'" }), ['listRule']);
      assertInvalidRules(await create('rel_bad2', { listRule: "title.label = 'x'" }), ['listRule']);
      const ok = await create('rel_ok', { listRule: "tag.label = 'x' && tag.id != ''" });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.listRule, "tag.label = 'x' && tag.id != ''");
    });

    test('valid rules, including @request fields, are stored as given', async () => {
      const rules = {
        listRule: '',
        viewRule: "@request.auth.id != '' && title ~ 'x'",
        createRule: "@request.body.title:isset = true && @request.body.title != 'no'",
        updateRule: "@request.body.tag:changed = false && @request.method = 'PATCH'",
        deleteRule: null,
      };
      const res = await create('valid', rules);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const [k, v] of Object.entries(rules)) assert.equal(res.body[k], v, k);
    });

    test('a rule that is not a string or null is rejected', async () => {
      const res = await create('typed', { listRule: 42 });
      assert.equal(res.status, 400);
      assert.equal(res.body.data.listRule.code, 'validation_invalid_rule');
    });

    test('updating a collection validates its rules, including against removed fields', async () => {
      const c = await t.createCollection({
        name: 'evolving',
        listRule: "title != ''",
        fields: [
          { name: 'title', type: 'text' },
          { name: 'body', type: 'text' },
        ],
      });
      const bad = await t.request('PATCH', `/api/collections/${c.id}`, {
        token: 'superuser',
        body: { viewRule: 'nope = 1' },
      });
      assertInvalidRules(bad, ['viewRule'], 'Failed to update collection.');
      // dropping a field a rule uses makes the rule invalid, so the change is refused
      const drop = await t.request('PATCH', `/api/collections/${c.id}`, {
        token: 'superuser',
        body: { fields: c.fields.filter((f: { name: string }) => f.name !== 'title') },
      });
      assertInvalidRules(drop, ['listRule'], 'Failed to update collection.');
      const stored = await t.request('GET', `/api/collections/${c.id}`, { token: 'superuser' });
      assert.equal(stored.body.listRule, "title != ''");
      assert.equal(stored.body.viewRule, null);
      assert.ok(stored.body.fields.some((f: { name: string }) => f.name === 'title'));
    });

    test('auth collections validate authRule and manageRule too', async () => {
      const res = await t.request('POST', '/api/collections', {
        token: 'superuser',
        body: { name: 'members', type: 'auth', authRule: 'nope = 1', manageRule: 'verified = ' },
      });
      assertInvalidRules(res, ['authRule', 'manageRule']);
    });
  });
}
