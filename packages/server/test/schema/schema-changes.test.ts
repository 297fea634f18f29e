import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_UNIQUE } from '../support/expect.ts';

type Row = Record<string, unknown>;

for (const dialect of DIALECTS) {
  describe(`schema changes keep data (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };
    let name = 'items';

    /** The collection's current definition. */
    const current = async () => (await t.request('GET', `/api/collections/${name}`, su)).body;

    /** PATCHes the field list through `edit` and expects success. */
    async function editFields(edit: (fields: Row[]) => Row[]): Promise<Row> {
      const c = await current();
      const res = await t.request('PATCH', `/api/collections/${name}`, {
        ...su,
        body: { fields: edit(c.fields) },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    }

    /** Every record, oldest first, reduced to the given keys. */
    async function rows(...keys: string[]): Promise<Row[]> {
      const res = await t.request('GET', `/api/collections/${name}/records?sort=@rowid&perPage=100`, su);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items.map((r: Row) => Object.fromEntries(keys.map((k) => [k, r[k]])));
    }

    async function insert(body: Row): Promise<Row> {
      const res = await t.request('POST', `/api/collections/${name}/records`, { ...su, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    }

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name,
        fields: [
          { name: 'title', type: 'text' },
          { name: 'qty', type: 'number' },
          { name: 'code', type: 'text' },
          { name: 'tag', type: 'select', values: ['a', 'b', 'c'], maxSelect: 1 },
          { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
        ],
      });
      await insert({ title: 'one', qty: 5, code: '42', tag: 'b', tags: ['a', 'c'] });
      await insert({ title: 'two', qty: 2.5, code: '3.5', tag: '', tags: [] });
      await insert({ title: 'three', qty: 0, code: 'abc', tag: 'a', tags: ['b'] });
    });
    after(() => t.close());

    test('adding fields gives existing records the zero values', async () => {
      const c = await editFields((fs) => [
        ...fs,
        { name: 'done', type: 'bool' },
        { name: 'note', type: 'text' },
        { name: 'score', type: 'number' },
        { name: 'meta', type: 'json' },
        { name: 'labels', type: 'select', values: ['x', 'y'], maxSelect: 2 },
      ]);
      assert.deepEqual(
        (c.fields as Row[]).map((f) => f.name),
        ['id', 'title', 'qty', 'code', 'tag', 'tags', 'done', 'note', 'score', 'meta', 'labels'],
      );
      const zero = { done: false, note: '', score: 0, meta: null, labels: [] };
      assert.deepEqual(await rows('title', 'done', 'note', 'score', 'meta', 'labels'), [
        { title: 'one', ...zero },
        { title: 'two', ...zero },
        { title: 'three', ...zero },
      ]);
      const added = await insert({
        title: 'four',
        done: true,
        note: 'n',
        score: 7,
        meta: { k: 1 },
        labels: ['y'],
      });
      assert.deepEqual(
        { done: added.done, note: added.note, score: added.score, meta: added.meta, labels: added.labels },
        { done: true, note: 'n', score: 7, meta: { k: 1 }, labels: ['y'] },
      );
      assert.equal(
        (await t.request('DELETE', `/api/collections/${name}/records/${added.id}`, su)).status,
        204,
      );
    });

    test('renaming a field keeps its data and its id', async () => {
      const before = await current();
      const c = await editFields((fs) => fs.map((f) => (f.name === 'title' ? { ...f, name: 'label' } : f)));
      const renamed = (c.fields as Row[]).find((f) => f.name === 'label')!;
      assert.equal(renamed.id, before.fields.find((f: Row) => f.name === 'title').id);
      assert.deepEqual(await rows('label', 'title'), [
        { label: 'one', title: undefined },
        { label: 'two', title: undefined },
        { label: 'three', title: undefined },
      ]);
    });

    test('text to number converts numeric text and zeroes the rest', async () => {
      await editFields((fs) =>
        fs.map((f) => (f.name === 'code' ? { id: f.id, name: 'code', type: 'number' } : f)),
      );
      assert.deepEqual(await rows('label', 'code'), [
        { label: 'one', code: 42 },
        { label: 'two', code: 3.5 },
        { label: 'three', code: 0 },
      ]);
    });

    test('number to text keeps the digits', async () => {
      await editFields((fs) =>
        fs.map((f) => (f.name === 'qty' ? { id: f.id, name: 'qty', type: 'text' } : f)),
      );
      assert.deepEqual(await rows('qty'), [{ qty: '5' }, { qty: '2.5' }, { qty: '0' }]);
      const r = await insert({ label: 'x', qty: 'plenty' });
      assert.equal(r.qty, 'plenty');
      assert.equal((await t.request('DELETE', `/api/collections/${name}/records/${r.id}`, su)).status, 204);
    });

    test('select single to multi wraps the value; multi to single keeps the last', async () => {
      await editFields((fs) =>
        fs.map((f) => {
          if (f.name === 'tag') return { ...f, maxSelect: 3 };
          if (f.name === 'tags') return { ...f, maxSelect: 1 };
          return f;
        }),
      );
      assert.deepEqual(await rows('tag', 'tags'), [
        { tag: ['b'], tags: 'c' },
        { tag: [], tags: '' },
        { tag: ['a'], tags: 'b' },
      ]);
      await editFields((fs) => fs.map((f) => (f.name === 'tag' ? { ...f, maxSelect: 1 } : f)));
      assert.deepEqual(await rows('tag'), [{ tag: 'b' }, { tag: '' }, { tag: 'a' }]);
    });

    test('removing a field drops its data; re-adding the name starts empty', async () => {
      await editFields((fs) => fs.filter((f) => f.name !== 'label'));
      assert.deepEqual(await rows('label', 'qty'), [
        { label: undefined, qty: '5' },
        { label: undefined, qty: '2.5' },
        { label: undefined, qty: '0' },
      ]);
      await editFields((fs) => [...fs, { name: 'label', type: 'text' }]);
      assert.deepEqual(await rows('label'), [{ label: '' }, { label: '' }, { label: '' }]);
    });

    test('renaming a collection keeps records and retargets its indexes', async () => {
      const before = await current();
      const idx = await t.request('PATCH', `/api/collections/${name}`, {
        ...su,
        body: { indexes: ['CREATE UNIQUE INDEX idx_items_qty ON items (qty)'] },
      });
      assert.equal(idx.status, 200, JSON.stringify(idx.body));
      const res = await t.request('PATCH', `/api/collections/${name}`, { ...su, body: { name: 'goods' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, before.id);
      assert.deepEqual(res.body.indexes, ['CREATE UNIQUE INDEX `idx_items_qty` ON `goods` (`qty`)']);
      name = 'goods';
      assert.deepEqual(await rows('qty'), [{ qty: '5' }, { qty: '2.5' }, { qty: '0' }]);
      const old = await t.request('GET', '/api/collections/items/records', su);
      assert.equal(old.status, 404);
      assert.deepEqual(old.body, { data: {}, message: 'Missing collection context.', status: 404 });
      // the unique index moved with the table
      const dup = await t.request('POST', '/api/collections/goods/records', { ...su, body: { qty: '5' } });
      assert.equal(dup.status, 400);
      assert.deepEqual(dup.body, {
        data: { qty: NOT_UNIQUE },
        message: 'Failed to create record.',
        status: 400,
      });
      // the old name is free again
      const again = await t.request('POST', '/api/collections', { ...su, body: { name: 'items' } });
      assert.equal(again.status, 200, JSON.stringify(again.body));
    });

    test('a failed change leaves table and definition untouched', async () => {
      const before = await current();
      const res = await t.request('PATCH', `/api/collections/${name}`, {
        ...su,
        body: { fields: [...before.fields, { name: 'bad', type: 'select', values: [] }] },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await current(), before);
      assert.deepEqual(await rows('qty'), [{ qty: '5' }, { qty: '2.5' }, { qty: '0' }]);
    });
  });
}
