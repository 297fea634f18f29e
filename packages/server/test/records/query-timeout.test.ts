import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';

// 200 million recursion steps (tens of seconds on either dialect), yielding one row per
// two million of them: far longer than the 1 s timeout, with rows to check the time between
const SLOW_VIEW =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000) ' +
  'SELECT CAST(x AS TEXT) AS id FROM c WHERE x % 2000000 = 0';

for (const dialect of DIALECTS) {
  describe(`--queryTimeout (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect, { queryTimeoutSeconds: 1 });
      pb = new PocketBase(t.url);
      pb.autoCancellation(false);
      await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      await pb.collections.create({
        name: 'notes',
        type: 'base',
        listRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
      await pb.collections.create({ name: 'slow', type: 'view', listRule: '', viewQuery: SLOW_VIEW });
    });
    after(() => t.close());

    test('a read running past the timeout is cancelled with a 400, and the server keeps serving', async () => {
      const started = performance.now();
      const err = await pb
        .collection('slow')
        .getList(1, 1000, { skipTotal: true })
        .then(
          () => assert.fail('the slow list should have been cancelled'),
          (e: unknown) => e,
        );
      const ms = performance.now() - started;
      assert.ok(err instanceof ClientResponseError, String(err));
      assert.equal(err.status, 400);
      assert.deepEqual(err.response, {
        data: {},
        message: 'The query took too long and was cancelled: narrow the filter or the page.',
        status: 400,
      });
      assert.ok(ms < 8000, `cancelled after ${Math.round(ms)} ms`);
      await pb.collection('notes').create({ title: 'still fine' });
      const list = await pb.collection('notes').getList(1, 10);
      assert.deepEqual(
        list.items.map((r) => r.title),
        ['still fine'],
      );
    });
  });
}
