import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

type Row = Record<string, any>;

for (const dialect of DIALECTS) {
  describe(`collections import (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };

    const importCollections = (collections: unknown, deleteMissing = false) =>
      t.request('PUT', '/api/collections/import', { ...su, body: { collections, deleteMissing } });
    const get = async (name: string): Promise<Row> =>
      (await t.request('GET', `/api/collections/${name}`, su)).body;
    const names = async (): Promise<string[]> =>
      (await t.request('GET', '/api/collections?sort=name', su)).body.items.map((c: Row) => c.name);
    const fieldNames = (c: Row) => c.fields.map((f: Row) => f.name);

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'books',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'pages', type: 'number' },
        ],
      });
      const rec = await t.request('POST', '/api/collections/books/records', {
        ...su,
        body: { title: 'Dune', pages: 412 },
      });
      assert.equal(rec.status, 200);
    });
    after(() => t.close());

    test('creates and updates in one call (204), keeping unmentioned fields and data', async () => {
      const books = await get('books');
      const res = await importCollections([
        {
          name: 'authors',
          type: 'base',
          fields: [{ name: 'name', type: 'text' }],
        },
        {
          id: books.id,
          name: 'books',
          listRule: '',
          fields: [{ name: 'isbn', type: 'text' }],
        },
      ]);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal(res.body, undefined);
      assert.deepEqual(fieldNames(await get('authors')), ['id', 'name']);
      const updated = await get('books');
      assert.equal(updated.listRule, '');
      // without deleteMissing, fields missing from the import are kept
      assert.deepEqual(fieldNames(updated).sort(), ['id', 'isbn', 'pages', 'title']);
      const list = await t.request('GET', '/api/collections/books/records');
      assert.deepEqual(
        list.body.items.map((r: Row) => [r.title, r.pages, r.isbn]),
        [['Dune', 412, '']],
      );
    });

    test('matches existing collections by name when no id is given', async () => {
      const before = await get('authors');
      const res = await importCollections([{ name: 'AUTHORS', viewRule: '' }]);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      const after = await get('authors');
      assert.equal(after.id, before.id);
      // the imported name wins, as in PocketBase
      assert.equal(after.name, 'AUTHORS');
      assert.equal(after.viewRule, '');
      assert.deepEqual(after.fields, before.fields);
    });

    test('collections may reference each other within one import', async () => {
      const res = await importCollections([
        {
          id: 'pbc_reviews01',
          name: 'reviews',
          fields: [{ name: 'shelf', type: 'relation', collectionId: 'pbc_shelves01' }],
        },
        {
          id: 'pbc_shelves01',
          name: 'shelves',
          fields: [{ name: 'top', type: 'relation', collectionId: 'pbc_reviews01' }],
        },
      ]);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal((await get('reviews')).fields[1].collectionId, 'pbc_shelves01');
      assert.equal((await get('shelves')).fields[1].collectionId, 'pbc_reviews01');
    });

    test('an invalid item fails the whole import and changes nothing', async () => {
      const before = await names();
      const books = await get('books');
      const res = await importCollections([
        { name: 'fresh', fields: [{ name: 'x', type: 'text' }] },
        { id: books.id, name: 'books', listRule: null },
        { name: 'bad', fields: [{ name: 's', type: 'select', values: [] }] },
      ]);
      assert.equal(res.status, 400);
      assert.equal(res.body.message, 'Failed to import collections.');
      assert.deepEqual(Object.keys(res.body.data), ['collections']);
      assert.equal(res.body.data.collections.code, 'validation_collections_import_failure');
      assert.match(res.body.data.collections.message, /^Data validations failed for collection "bad" \(/);
      assert.match(res.body.data.collections.message, /validation_required/);
      assert.deepEqual(await names(), before);
      assert.equal((await get('books')).listRule, '');
    });

    test('an empty list or a malformed item is refused', async () => {
      const empty = await importCollections([]);
      assert.deepEqual(empty.body, {
        data: { collections: { code: 'validation_required', message: 'Cannot be blank.' } },
        message: 'An error occurred while validating the submitted data.',
        status: 400,
      });
      const bad = await importCollections(['nope']);
      assert.deepEqual(bad.body, {
        data: {},
        message: 'An error occurred while loading the submitted data.',
        status: 400,
      });
    });

    test('deleteMissing removes missing fields and non-system collections', async () => {
      const books = await get('books');
      const res = await importCollections(
        [
          {
            id: books.id,
            name: 'books',
            fields: books.fields.filter((f: Row) => f.name !== 'pages'),
          },
        ],
        true,
      );
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.deepEqual(await names(), [
        '_authOrigins',
        '_externalAuths',
        '_mfas',
        '_otps',
        '_superusers',
        'books',
      ]);
      assert.deepEqual(
        fieldNames(await get('books')),
        fieldNames(books).filter((n: string) => n !== 'pages'),
      );
      const list = await t.request('GET', '/api/collections/books/records');
      assert.deepEqual(
        list.body.items.map((r: Row) => [r.title, r.pages]),
        [['Dune', undefined]],
      );
      assert.equal((await t.request('GET', '/api/collections/authors/records', su)).status, 404);
    });
  });
}
