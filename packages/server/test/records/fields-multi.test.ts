import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { assertInvalid, PUBLIC_RULES, REQUIRED } from '../support/expect.ts';

// select, relation and file-name values: single vs multiple (maxSelect > 1), normalisation
// and validation, against PocketBase (core/field_select.go, field_relation.go, field_file.go).

const MISSING_REL = {
  code: 'validation_missing_rel_records',
  message: 'Failed to find all relation records with the provided ids.',
};
const A1 = 'author000000001';
const A2 = 'author000000002';
const A3 = 'author000000003';
const A4 = 'author000000004';
const NOPE = 'nosuchauthor000';

for (const dialect of DIALECTS) {
  describe(`select, relation and file fields (${dialect})`, () => {
    let t: TestApp;
    const post = (collection: string, body: unknown) =>
      t.request('POST', `/api/collections/${collection}/records`, { body });

    before(async () => {
      t = await startTestApp(dialect);
      const create = (c: Record<string, unknown>) => t.createCollection({ ...c, ...PUBLIC_RULES });
      const authors = await create({ name: 'authors', fields: [{ name: 'name', type: 'text' }] });
      for (const id of [A1, A2, A3, A4]) assert.equal((await post('authors', { id, name: id })).status, 200);
      await create({
        name: 'posts',
        fields: [
          { name: 'status', type: 'select', values: ['draft', 'published', 'archived'], maxSelect: 1 },
          { name: 'tags', type: 'select', values: ['a', 'b', 'c', 'd'], maxSelect: 3 },
          { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
          { name: 'coauthors', type: 'relation', collectionId: authors.id, minSelect: 2, maxSelect: 3 },
          { name: 'attachment', type: 'file', maxSelect: 1 },
          { name: 'attachments', type: 'file', maxSelect: 2 },
        ],
      });
      await create({
        name: 'picks',
        fields: [
          { name: 'kind', type: 'select', values: ['x', 'y'], maxSelect: 2, required: true },
          { name: 'owner', type: 'relation', collectionId: authors.id, maxSelect: 1, required: true },
        ],
      });
    });
    after(() => t.close());

    test('a single select stores one allowed value', async () => {
      const res = await post('posts', { status: 'draft' });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'draft');
      const viewed = await t.request('GET', `/api/collections/posts/records/${res.body.id}`);
      assert.equal(viewed.body.status, 'draft');
    });

    test('a single select given a list keeps the last value', async () => {
      const res = await post('posts', { status: ['draft', 'archived', ''] });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'archived');
    });

    test('a value outside the allowed values is refused with the value', async () => {
      assertInvalid(await post('posts', { status: 'bogus' }), {
        status: {
          code: 'validation_invalid_value',
          message: 'Invalid value bogus.',
          params: { value: 'bogus' },
        },
      });
      assertInvalid(await post('posts', { tags: ['a', 'zz', 'yy'] }), {
        tags: { code: 'validation_invalid_value', message: 'Invalid value zz.', params: { value: 'zz' } },
      });
    });

    test('a multi select stores a unique list from a list, a string or JSON text', async () => {
      const cases: [unknown, string[]][] = [
        [
          ['a', 'c'],
          ['a', 'c'],
        ],
        ['b', ['b']],
        ['["d","a"]', ['d', 'a']],
        [
          ['a', 'a', '', 'b'],
          ['a', 'b'],
        ],
        [[], []],
        ['', []],
      ];
      for (const [tags, stored] of cases) {
        const res = await post('posts', { tags });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.tags, stored, JSON.stringify(tags));
        const viewed = await t.request('GET', `/api/collections/posts/records/${res.body.id}`);
        assert.deepEqual(viewed.body.tags, stored);
      }
    });

    test('more values than maxSelect are refused, before the values are checked', async () => {
      assertInvalid(await post('posts', { tags: ['a', 'b', 'c', 'zz'] }), {
        tags: {
          code: 'validation_too_many_values',
          message: 'Select no more than 3.',
          params: { maxSelect: 3 },
        },
      });
    });

    test('a required select or relation refuses an empty value', async () => {
      assertInvalid(await post('picks', {}), { kind: REQUIRED, owner: REQUIRED });
      assertInvalid(await post('picks', { kind: [], owner: '' }), { kind: REQUIRED, owner: REQUIRED });
      const ok = await post('picks', { kind: ['y', 'x'], owner: A1 });
      assert.equal(ok.status, 200);
      assert.deepEqual([ok.body.kind, ok.body.owner], [['y', 'x'], A1]);
    });

    test('a single relation stores an existing id, the last one of a list', async () => {
      const res = await post('posts', { author: A2 });
      assert.equal(res.status, 200);
      assert.equal(res.body.author, A2);
      const last = await post('posts', { author: [A1, A3] });
      assert.equal(last.body.author, A3);
    });

    test('a relation to ids that do not exist is refused', async () => {
      assertInvalid(await post('posts', { author: NOPE }), { author: MISSING_REL });
      assertInvalid(await post('posts', { coauthors: [A1, NOPE] }), { coauthors: MISSING_REL });
    });

    test('a multi relation below minSelect reports not enough values', async () => {
      assertInvalid(await post('posts', { coauthors: [A1] }), {
        coauthors: {
          code: 'validation_not_enough_values',
          message: 'Select at least 2.',
          params: { minSelect: 2 },
        },
      });
      // minSelect is checked before existence
      assertInvalid(await post('posts', { coauthors: NOPE }), {
        coauthors: {
          code: 'validation_not_enough_values',
          message: 'Select at least 2.',
          params: { minSelect: 2 },
        },
      });
    });

    test('a multi relation above maxSelect reports too many values', async () => {
      assertInvalid(await post('posts', { coauthors: [A1, A2, A3, A4] }), {
        coauthors: {
          code: 'validation_too_many_values',
          message: 'Select no more than 3.',
          params: { maxSelect: 3 },
        },
      });
    });

    test('a multi relation stores its ids in the given order', async () => {
      const res = await post('posts', { coauthors: [A3, A1, A3] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.coauthors, [A3, A1]);
      const viewed = await t.request('GET', `/api/collections/posts/records/${res.body.id}`);
      assert.deepEqual(viewed.body.coauthors, [A3, A1]);
    });

    test('an update can clear select and relation values', async () => {
      const created = await post('posts', { status: 'draft', tags: ['a'], author: A1, coauthors: [A1, A2] });
      const res = await t.request('PATCH', `/api/collections/posts/records/${created.body.id}`, {
        body: { status: '', tags: [], author: null, coauthors: [] },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        [res.body.status, res.body.tags, res.body.author, res.body.coauthors],
        ['', [], '', []],
      );
    });

    test('new file names sent as plain text are refused', async () => {
      assertInvalid(await post('posts', { attachment: 'x.txt' }), {
        attachment: {
          code: 'validation_invalid_file',
          message: 'Invalid new files: [x.txt].',
          params: { invalidFiles: ['x.txt'] },
        },
      });
      // invalid names are reported before the count
      assertInvalid(await post('posts', { attachments: ['a.txt', 'b.txt', 'c.txt'] }), {
        attachments: {
          code: 'validation_invalid_file',
          message: 'Invalid new files: [a.txt b.txt c.txt].',
          params: { invalidFiles: ['a.txt', 'b.txt', 'c.txt'] },
        },
      });
    });

    test('empty file fields are their zero values', async () => {
      const res = await post('posts', { attachment: '', attachments: [] });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.attachment, res.body.attachments], ['', []]);
    });
  });
}
