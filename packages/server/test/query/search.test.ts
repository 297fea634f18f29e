import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`full-text search (${dialect})`, () => {
    let t: TestApp;
    const ids: Record<string, string> = {};
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'articles',
        listRule: '',
        fields: [
          { name: 'title', type: 'text', searchable: true },
          { name: 'body', type: 'editor', searchable: true },
          { name: 'tag', type: 'text' },
        ],
      });
      for (const [key, title, body] of [
        ['a', 'Hello brave world', '<p>Cats and dogs</p>'],
        ['b', 'Goodbye world', '<p>Only cats</p>'],
        ['c', 'Unrelated', '<p>Nothing here</p>'],
      ] as const) {
        const res = await t.request('POST', '/api/collections/articles/records', {
          token: 'superuser',
          body: { title, body, tag: key },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        ids[key] = res.body.id;
      }
    });
    after(() => t.close());

    const found = async (filter: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/articles/records?sort=tag&filter=${encodeURIComponent(filter)}`,
      );
      assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.body)}`);
      return res.body.items.map((i: { tag: string }) => i.tag);
    };

    test('every term must match, as a word prefix, in the named field', async () => {
      assert.deepEqual(await found('search(title, "world") = true'), ['a', 'b']);
      assert.deepEqual(await found('search(title, "wor hel") = true'), ['a']);
      assert.deepEqual(await found('search(body, "cats") = true'), ['a', 'b']);
      assert.deepEqual(await found('search(body, "cats") = true && search(title, "good") = true'), ['b']);
      assert.deepEqual(await found('search(title, "world") = false'), ['c']);
    });

    test('search syntax in the terms is plain text', async () => {
      assert.deepEqual(await found(`search(title, 'world" OR "unrelated') = true`), []);
      assert.deepEqual(await found("search(title, '* NEAR (a b) :') = true"), []);
    });

    test('the index follows writes', async () => {
      const res = await t.request('PATCH', `/api/collections/articles/records/${ids.c}`, {
        token: 'superuser',
        body: { title: 'A whole new world' },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await found('search(title, "world") = true'), ['a', 'b', 'c']);
      await t.request('DELETE', `/api/collections/articles/records/${ids.b}`, { token: 'superuser' });
      assert.deepEqual(await found('search(title, "world") = true'), ['a', 'c']);
    });

    test('the index survives schema changes and goes away with the option', async () => {
      const c = t.app.collections.get('articles');
      const fields = c.fields.map((f) => (f.name === 'tag' ? { ...f, name: 'label' } : f));
      const renamed = await t.request('PATCH', '/api/collections/articles', {
        token: 'superuser',
        body: { name: 'posts', fields },
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      const list = await t.request(
        'GET',
        `/api/collections/posts/records?sort=label&filter=${encodeURIComponent('search(title, "world") = true')}`,
      );
      assert.deepEqual(
        list.body.items.map((i: { label: string }) => i.label),
        ['a', 'c'],
      );
      const off = t.app.collections
        .get('posts')
        .fields.map((f) => (f.name === 'title' ? { ...f, searchable: false } : f));
      assert.equal(
        (await t.request('PATCH', '/api/collections/posts', { token: 'superuser', body: { fields: off } }))
          .status,
        200,
      );
      const res = await t.request(
        'GET',
        `/api/collections/posts/records?filter=${encodeURIComponent('search(title, "world") = true')}`,
      );
      assert.equal(res.status, 400);
      assert.match(res.body.message, /not searchable/);
    });

    test('search on a field without the option, or with bad arguments, is a 400', async () => {
      for (const filter of ['search(tag, "x") = true', 'search("x") = true', 'search(title, 5) = true']) {
        const res = await t.request(
          'GET',
          `/api/collections/posts/records?filter=${encodeURIComponent(filter)}`,
        );
        assert.equal(res.status, 400, filter);
      }
    });
  });
}
