import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_FOUND } from '../support/expect.ts';

// `@request.body.<field>:changed` is PocketBase's `:isset = true && @request.body.x != x`:
// a value sent again unchanged is not a change, for every kind of column (a text compare
// would see SQLite's 1 and 1.0, or two spellings of the same jsonb, as different).

const FIELDS = ['tags', 'rel', 'n', 'b', 's', 'd', 'j'];

for (const dialect of DIALECTS) {
  describe(`updateRule with :changed (${dialect})`, () => {
    let t: TestApp;
    let targets: string[];
    before(async () => {
      t = await startTestApp(dialect);
      const refs = await t.createCollection({ name: 'refs', fields: [{ name: 'x', type: 'text' }] });
      await t.createCollection({
        name: 'guarded',
        viewRule: '',
        updateRule: FIELDS.map((f) => `@request.body.${f}:changed = false`).join(' && '),
        fields: [
          { name: 'tags', type: 'select', maxSelect: 3, values: ['a', 'b', 'c'] },
          { name: 'rel', type: 'relation', collectionId: refs.id, maxSelect: 5 },
          { name: 'n', type: 'number' },
          { name: 'b', type: 'bool' },
          { name: 's', type: 'text' },
          { name: 'd', type: 'date' },
          { name: 'j', type: 'json' },
        ],
      });
      targets = [];
      for (const x of ['r1', 'r2']) {
        const r = await t.request('POST', '/api/collections/refs/records', {
          token: 'superuser',
          body: { x },
        });
        targets.push(r.body.id);
      }
    });
    after(() => t.close());

    const cases = (): [string, Record<string, unknown>, Record<string, unknown>, 200 | 404][] => [
      ['same multi select', { tags: ['a', 'b'] }, { tags: ['a', 'b'] }, 200],
      ['reordered multi select', { tags: ['a', 'b'] }, { tags: ['b', 'a'] }, 404],
      ['fewer select values', { tags: ['a', 'b'] }, { tags: ['a'] }, 404],
      ['same empty select', { tags: [] }, { tags: [] }, 200],
      ['same multi relation', { rel: targets }, { rel: targets }, 200],
      ['other multi relation', { rel: targets }, { rel: [targets[0]] }, 404],
      ['same number', { n: 5 }, { n: 5 }, 200],
      ['same number as text', { n: 5 }, { n: '5' }, 200],
      ['same decimal', { n: 5.5 }, { n: 5.5 }, 200],
      ['other number', { n: 5 }, { n: 6 }, 404],
      ['same true', { b: true }, { b: true }, 200],
      ['same false', { b: false }, { b: false }, 200],
      ['false to true', { b: false }, { b: true }, 404],
      ['same empty text', { s: '' }, { s: '' }, 200],
      ['same text', { s: 'x' }, { s: 'x' }, 200],
      ['other text', { s: 'x' }, { s: 'y' }, 404],
      ['same date', { d: '2024-01-02 03:04:05.000Z' }, { d: '2024-01-02 03:04:05.000Z' }, 200],
      ['other date', { d: '2024-01-02 03:04:05.000Z' }, { d: '2025-01-02 03:04:05.000Z' }, 404],
      ['same json object', { j: { a: 1, b: [1, 2] } }, { j: { a: 1, b: [1, 2] } }, 200],
      ['other json object', { j: { a: 1 } }, { j: { a: 2 } }, 404],
      ['same json null', { j: null }, { j: null }, 200],
      ['same json string', { j: 'str' }, { j: 'str' }, 200],
      ['fields not sent', { s: 'x', n: 1 }, {}, 200],
    ];

    test('an unchanged value passes and a changed one answers 404', async () => {
      for (const [name, initial, patch, status] of cases()) {
        const created = await t.request('POST', '/api/collections/guarded/records', {
          token: 'superuser',
          body: initial,
        });
        assert.equal(created.status, 200, `${name}: ${JSON.stringify(created.body)}`);
        const res = await t.request('PATCH', `/api/collections/guarded/records/${created.body.id}`, {
          body: patch,
        });
        assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
        if (status === 404) assert.deepEqual(res.body, NOT_FOUND);
        const stored = await t.request('GET', `/api/collections/guarded/records/${created.body.id}`);
        assert.deepEqual(
          Object.fromEntries(FIELDS.filter((f) => f in initial).map((f) => [f, stored.body[f]])),
          initial,
          `${name}: stored values`,
        );
      }
    });
  });
}
