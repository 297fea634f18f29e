import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`@rank sort (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'notes',
        listRule: '',
        fields: [{ name: 'body', type: 'editor', searchable: true }],
      });
      for (const body of ['a world apart', 'world world world', 'nothing here', 'world and world']) {
        const res = await t.request('POST', '/api/collections/notes/records', {
          token: 'superuser',
          body: { body },
        });
        assert.equal(res.status, 200);
      }
    });
    after(() => t.close());

    const bodies = async (sort: string, filter: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/notes/records?sort=${encodeURIComponent(sort)}&filter=${encodeURIComponent(filter)}`,
      );
      return res.status === 200 ? res.body.items.map((i: { body: string }) => i.body) : res.status;
    };

    test('@rank puts the best matches of the filter search first', async () => {
      assert.deepEqual(await bodies('@rank', 'search(body, "world") = true'), [
        'world world world',
        'world and world',
        'a world apart',
      ]);
      assert.deepEqual(await bodies('-@rank', 'search(body, "world") = true'), [
        'a world apart',
        'world and world',
        'world world world',
      ]);
    });

    test('@rank without a search() in the filter is a 400', async () => {
      assert.equal(await bodies('@rank', "body ~ 'world'"), 400);
    });
  });
}
