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

  describe(`sort by modifiers and functions (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'cities',
        listRule: '',
        fields: [
          { name: 'name', type: 'text' },
          { name: 'at', type: 'geoPoint' },
          { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
          { name: 'founded', type: 'date' },
          { name: 'secret', type: 'text', hidden: true },
        ],
      });
      const add = (body: Record<string, unknown>) =>
        t.request('POST', '/api/collections/cities/records', { token: 'superuser', body });
      await add({
        name: 'sofia',
        at: { lon: 23.3219, lat: 42.6977 },
        tags: ['a'],
        founded: '2001-05-01 00:00:00.000Z',
      });
      await add({
        name: 'Plovdiv',
        at: { lon: 24.7453, lat: 42.1354 },
        tags: ['a', 'b', 'c'],
        founded: '1999-01-01 00:00:00.000Z',
      });
      await add({
        name: 'berlin',
        at: { lon: 13.405, lat: 52.52 },
        tags: ['a', 'b'],
        founded: '2001-01-01 00:00:00.000Z',
      });
    });
    after(() => t.close());

    const names = async (sort: string) => {
      const res = await t.request('GET', `/api/collections/cities/records?sort=${encodeURIComponent(sort)}`);
      return res.status === 200 ? res.body.items.map((i: { name: string }) => i.name) : res.body;
    };

    test(':lower sorts case-insensitively and :length by the number of values', async () => {
      assert.deepEqual(await names('name:lower'), ['berlin', 'Plovdiv', 'sofia']);
      assert.deepEqual(await names('-tags:length'), ['Plovdiv', 'berlin', 'sofia']);
    });

    test('a function sorts, and commas inside its arguments do not split the sort', async () => {
      assert.deepEqual(await names('geoDistance(at.lon, at.lat, 23.3219, 42.6977)'), [
        'sofia',
        'Plovdiv',
        'berlin',
      ]);
      assert.deepEqual(await names('-geoDistance(at.lon, at.lat, 23.3219, 42.6977),name'), [
        'berlin',
        'Plovdiv',
        'sofia',
      ]);
      assert.deepEqual(await names("strftime('%Y', founded),-name"), ['Plovdiv', 'sofia', 'berlin']);
    });

    test('bad sort expressions are 400s that say what is wrong', async () => {
      const cases: [string, RegExp][] = [
        ['tags:each', /several/],
        ['nope(name)', /Unknown or unsupported function/],
        ['geoDistance(at.lon, at.lat', /Unclosed/],
        ['name = 1', /Unexpected/],
        ['secret:lower', /secret/],
      ];
      for (const [sort, message] of cases) {
        const body = await names(sort);
        assert.equal(body.status, 400, sort);
        assert.match(body.message, message, sort);
      }
    });
  });
}
