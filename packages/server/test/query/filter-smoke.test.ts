import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`filter smoke (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      const authors = await t.createCollection({
        name: 'authors',
        listRule: '',
        fields: [{ name: 'name', type: 'text' }],
      });
      await t.createCollection({
        name: 'posts',
        listRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'n', type: 'number' },
          { name: 'tags', type: 'select', maxSelect: 3, values: ['a', 'b', 'c'] },
          { name: 'author', type: 'relation', collectionId: authors.id },
          { name: 'data', type: 'json' },
        ],
      });
      const a1 = (
        await t.request('POST', '/api/collections/authors/records', {
          token: 'superuser',
          body: { name: 'Ann' },
        })
      ).body.id;
      for (const [title, n, tags, author, data] of [
        ['one', 1, ['a'], a1, { x: 1 }],
        ['two', 2, ['a', 'b'], '', { x: 'y' }],
        ['Three', 3, [], a1, null],
      ] as const) {
        const r = await t.request('POST', '/api/collections/posts/records', {
          token: 'superuser',
          body: { title, n, tags, author, data },
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    });
    after(() => t.close());

    const titles = async (filter: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/posts/records?sort=n&filter=${encodeURIComponent(filter)}`,
      );
      assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.body)}`);
      return res.body.items.map((i: { title: string }) => i.title);
    };

    const cases: [string, string[]][] = [
      ["title = 'one'", ['one']],
      ["title ~ 'T'", ['two', 'Three']],
      ["title !~ 'o'", ['Three']],
      ['n > 1 && n < 3', ['two']],
      ["n >= 2 || title = 'one'", ['one', 'two', 'Three']],
      ["n = '2'", ['two']],
      ["author.name = 'Ann'", ['one', 'Three']],
      ["author = ''", ['two']],
      ['author = null', ['two']],
      ["tags:each ?= 'b'", ['two']],
      ["tags:each = 'a'", ['one']],
      ['tags:length = 2', ['two']],
      ["tags ~ 'b'", ['two']],
      ['data.x = 1', ['one']],
      ["data.x = 'y'", ['two']],
      ['data = null', ['Three']],
      ["title:lower = 'three'", ['Three']],
      ["authors_via_x.name = 'z' || n = 1", ['one']],
    ];
    for (const [filter, expected] of cases.slice(0, -1)) {
      test(`filter ${filter}`, async () => {
        assert.deepEqual(await titles(filter), expected);
      });
    }

    test('an unknown field is a 400 that names it', async () => {
      const res = await t.request(
        'GET',
        `/api/collections/posts/records?filter=${encodeURIComponent('nope = 1')}`,
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.data.filter.code, 'validation_invalid_filter');
      assert.match(res.body.message, /Unknown field "nope"/);
    });

    test('a syntax error is a 400 with its position', async () => {
      const res = await t.request(
        'GET',
        `/api/collections/posts/records?filter=${encodeURIComponent("title = 'x' &&")}`,
      );
      assert.equal(res.status, 400);
      assert.equal(typeof res.body.data.filter.params.position, 'number');
    });

    test('a filter compiled for a superuser is not reused for others', async () => {
      const c = t.app.collections.get('posts');
      const fields = c.fields.map((f) => (f.name === 'n' ? { ...f, hidden: true } : f));
      assert.equal(
        (await t.request('PATCH', '/api/collections/posts', { token: 'superuser', body: { fields } })).status,
        200,
      );
      const path = `/api/collections/posts/records?filter=${encodeURIComponent('n > 1')}`;
      assert.equal((await t.request('GET', path, { token: 'superuser' })).body.totalItems, 2);
      assert.equal((await t.request('GET', path)).status, 400);
      const restored = c.fields.map((f) => (f.name === 'n' ? { ...f, hidden: false } : f));
      assert.equal(
        (
          await t.request('PATCH', '/api/collections/posts', {
            token: 'superuser',
            body: { fields: restored },
          })
        ).status,
        200,
      );
      assert.equal((await t.request('GET', path)).body.totalItems, 2);
    });

    test('quotes and SQL in values are data, not SQL', async () => {
      assert.deepEqual(await titles(`title = "x' OR 1=1 --"`), []);
      assert.deepEqual(await titles("title ~ '%'"), ['one', 'two', 'Three']);
      assert.deepEqual(await titles("title ~ '_'"), []);
    });
  });
}
