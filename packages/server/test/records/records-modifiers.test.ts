import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { PUBLIC_RULES } from '../support/expect.ts';

// Body key modifiers (`n+`, `n-`, `tags+`, `+tags`, `tags-`), applied like PocketBase's
// Record.ReplaceModifiers: shorter keys first, an update starts from the stored value.

const PATH = '/api/collections/mods/records';
const R1 = 'ref000000000001';
const R2 = 'ref000000000002';
const R3 = 'ref000000000003';
const R4 = 'ref000000000004';

for (const dialect of DIALECTS) {
  describe(`record modifiers (${dialect})`, () => {
    let t: TestApp;
    const create = async (body: unknown) => {
      const res = await t.request('POST', PATH, { body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const patch = (id: string, body: unknown) => t.request('PATCH', `${PATH}/${id}`, { body });

    before(async () => {
      t = await startTestApp(dialect);
      const refs = await t.createCollection({
        name: 'refs',
        ...PUBLIC_RULES,
        fields: [{ name: 'x', type: 'text' }],
      });
      for (const id of [R1, R2, R3, R4]) {
        assert.equal(
          (await t.request('POST', '/api/collections/refs/records', { body: { id } })).status,
          200,
        );
      }
      await t.createCollection({
        name: 'mods',
        ...PUBLIC_RULES,
        fields: [
          { name: 'title', type: 'text' },
          { name: 'n', type: 'number' },
          { name: 'status', type: 'select', values: ['draft', 'published', 'archived'], maxSelect: 1 },
          { name: 'tags', type: 'select', values: ['a', 'b', 'c', 'd', 'e'], maxSelect: 4 },
          { name: 'rel', type: 'relation', collectionId: refs.id, maxSelect: 1 },
          { name: 'rels', type: 'relation', collectionId: refs.id, maxSelect: 3 },
        ],
      });
    });
    after(() => t.close());

    test('number modifiers on create start from zero', async () => {
      assert.equal((await create({ 'n+': 3 })).n, 3);
      assert.equal((await create({ 'n-': 2 })).n, -2);
    });

    test('the plain key is applied before its modifiers', async () => {
      assert.equal((await create({ 'n-': 5, 'n+': 2, n: 1 })).n, -2);
    });

    test('number modifiers on update start from the stored value', async () => {
      const { id } = await create({ n: 10 });
      const steps: [Record<string, unknown>, number][] = [
        [{ 'n+': 5 }, 15],
        [{ 'n-': 20 }, -5],
        [{ 'n+': '2.5' }, -2.5],
        [{ 'n+': 4, 'n-': 1.5 }, 0],
        [{ n: 100, 'n-': 1 }, 99],
      ];
      for (const [body, n] of steps) {
        const res = await patch(id, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.n, n, JSON.stringify(body));
      }
      const viewed = await t.request('GET', `${PATH}/${id}`);
      assert.equal(viewed.body.n, 99);
    });

    test('multi select modifiers on create build on the plain value', async () => {
      assert.deepEqual((await create({ 'tags+': 'a' })).tags, ['a']);
      assert.deepEqual((await create({ tags: ['b'], '+tags': 'a' })).tags, ['a', 'b']);
      assert.deepEqual((await create({ tags: ['b'], 'tags+': ['c', 'b'] })).tags, ['b', 'c']);
      assert.deepEqual((await create({ tags: ['a', 'b'], 'tags-': 'a' })).tags, ['b']);
    });

    test('multi select modifiers on update append, prepend and remove', async () => {
      const { id } = await create({ tags: ['a', 'b'] });
      const steps: [Record<string, unknown>, string[]][] = [
        [{ 'tags+': ['c', 'a'] }, ['a', 'b', 'c']],
        [{ '+tags': 'd' }, ['d', 'a', 'b', 'c']],
        [{ 'tags-': ['a', 'd'] }, ['b', 'c']],
        [{ 'tags-': 'zzz' }, ['b', 'c']],
        [{ 'tags+': '["e","b"]' }, ['b', 'c', 'e']],
        [{ tags: ['a'], 'tags-': 'a' }, []],
      ];
      for (const [body, tags] of steps) {
        const res = await patch(id, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.tags, tags, JSON.stringify(body));
      }
    });

    test('a modifier that exceeds maxSelect fails and changes nothing', async () => {
      const { id } = await create({ tags: ['a', 'b', 'c', 'd'] });
      const res = await patch(id, { 'tags+': 'e' });
      assert.deepEqual(res.body, {
        data: {
          tags: {
            code: 'validation_too_many_values',
            message: 'Select no more than 4.',
            params: { maxSelect: 4 },
          },
        },
        message: 'Failed to update record.',
        status: 400,
      });
      const viewed = await t.request('GET', `${PATH}/${id}`);
      assert.deepEqual(viewed.body.tags, ['a', 'b', 'c', 'd']);
    });

    test('a modifier adding a value that is not allowed fails', async () => {
      const { id } = await create({ tags: ['a'] });
      const res = await patch(id, { 'tags+': 'zz' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.data, {
        tags: { code: 'validation_invalid_value', message: 'Invalid value zz.', params: { value: 'zz' } },
      });
    });

    test('single select modifiers keep the last value', async () => {
      const { id } = await create({ status: 'draft' });
      const steps: [Record<string, unknown>, string][] = [
        [{ '+status': 'archived' }, 'draft'],
        [{ 'status+': 'published' }, 'published'],
        [{ 'status-': 'draft' }, 'published'],
        [{ 'status-': 'published' }, ''],
      ];
      for (const [body, status] of steps) {
        const res = await patch(id, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.status, status, JSON.stringify(body));
      }
    });

    test('relation modifiers append, prepend and remove ids', async () => {
      const { id, rels } = await create({ 'rels+': R1 });
      assert.deepEqual(rels, [R1]);
      const steps: [Record<string, unknown>, string[]][] = [
        [{ 'rels+': [R2] }, [R1, R2]],
        [{ '+rels': R3 }, [R3, R1, R2]],
        [{ 'rels-': [R1, R3] }, [R2]],
      ];
      for (const [body, expected] of steps) {
        const res = await patch(id, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.rels, expected, JSON.stringify(body));
      }
      const viewed = await t.request('GET', `${PATH}/${id}`);
      assert.deepEqual(viewed.body.rels, [R2]);
    });

    test('relation modifiers are validated: unknown ids and too many ids fail', async () => {
      const { id } = await create({ rels: [R1, R2, R3] });
      const tooMany = await patch(id, { 'rels+': R4 });
      assert.equal(tooMany.status, 400);
      assert.deepEqual(tooMany.body.data, {
        rels: {
          code: 'validation_too_many_values',
          message: 'Select no more than 3.',
          params: { maxSelect: 3 },
        },
      });
      const missing = await patch(id, { 'rels-': R1, 'rels+': 'nosuchref000000' });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body.data, {
        rels: {
          code: 'validation_missing_rel_records',
          message: 'Failed to find all relation records with the provided ids.',
        },
      });
    });

    test('a single relation modifier replaces or clears the id', async () => {
      const { id } = await create({ rel: R1 });
      const replaced = await patch(id, { 'rel+': R2 });
      assert.equal(replaced.body.rel, R2);
      const cleared = await patch(id, { 'rel-': R2 });
      assert.equal(cleared.body.rel, '');
    });

    test('modifiers on fields without modifiers and on unknown fields are ignored', async () => {
      const created = await create({ title: 'x', 'title+': 'y', 'nope+': 1, '+nope': 2 });
      assert.equal(created.title, 'x');
      assert.equal('nope' in created, false);
      const res = await patch(created.id, { 'title-': 'x' });
      assert.equal(res.status, 200);
      assert.equal(res.body.title, 'x');
    });
  });
}
