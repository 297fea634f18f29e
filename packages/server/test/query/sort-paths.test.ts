import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`sort by relation paths (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      const people = await t.createCollection({
        name: 'people',
        listRule: 'public = true',
        fields: [
          { name: 'name', type: 'text' },
          { name: 'public', type: 'bool' },
          { name: 'secret', type: 'text', hidden: true },
        ],
      });
      const hidden = await t.createCollection({ name: 'vault', fields: [{ name: 'x', type: 'text' }] });
      await t.createCollection({
        name: 'books',
        listRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'author', type: 'relation', collectionId: people.id },
          { name: 'authors', type: 'relation', collectionId: people.id, maxSelect: 3 },
          { name: 'v', type: 'relation', collectionId: hidden.id },
        ],
      });
      const add = async (c: string, body: Record<string, unknown>) =>
        (await t.request('POST', `/api/collections/${c}/records`, { token: 'superuser', body })).body
          .id as string;
      const zed = await add('people', { name: 'Zed', public: true, secret: 'a' });
      const amy = await add('people', { name: 'Amy', public: true, secret: 'b' });
      const mo = await add('people', { name: 'Mo', public: false, secret: 'c' });
      await add('books', { title: 'b1', author: zed, authors: [zed] });
      await add('books', { title: 'b2', author: amy, authors: [amy] });
      await add('books', { title: 'b3', author: mo, authors: [mo] });
    });
    after(() => t.close());

    const titles = async (sort: string, token?: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/books/records?sort=${encodeURIComponent(sort)}`,
        token ? { token } : {},
      );
      return res.status === 200 ? res.body.items.map((i: { title: string }) => i.title) : res.status;
    };

    test('a relation path sorts, and records the joined listRule hides sort as empty', async () => {
      assert.deepEqual(await titles('author.name', 'superuser'), ['b2', 'b3', 'b1']);
      assert.deepEqual(await titles('-author.name', 'superuser'), ['b1', 'b3', 'b2']);
      // Mo is not public: for others his name is missing, which sorts first
      assert.deepEqual(await titles('author.name'), ['b3', 'b2', 'b1']);
    });

    test('paths with several values, hidden fields and superuser-only collections are 400s', async () => {
      assert.equal(await titles('authors.name', 'superuser'), 400);
      assert.equal(await titles('author.secret'), 400);
      assert.deepEqual(await titles('author.secret', 'superuser'), ['b1', 'b2', 'b3']);
      assert.equal(await titles('v.x'), 400);
      assert.equal(await titles('nope.name', 'superuser'), 400);
    });
  });
}
