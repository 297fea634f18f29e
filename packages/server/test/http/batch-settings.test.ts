import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import PocketBase from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { sdkFailure } from '../support/expect.ts';

for (const dialect of DIALECTS) {
  describe(`batch settings are honoured (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    const batchOf = (n: number, title = 'b') => {
      const b = pb.createBatch();
      for (let i = 0; i < n; i++) b.collection('notes').create({ title: `${title}${i}` });
      return b.send();
    };
    const count = async () => (await pb.collection('notes').getList(1, 1)).totalItems;
    before(async () => {
      t = await startTestApp(dialect);
      pb = new PocketBase(t.url);
      pb.autoCancellation(false);
      pb.authStore.save(t.superuserToken);
      await t.createCollection({
        name: 'notes',
        createRule: '',
        listRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
    });
    after(() => t.close());

    test('batch.enabled false is a 403, and back on it runs', async () => {
      await pb.settings.update({ batch: { enabled: false } });
      const e = await sdkFailure(batchOf(1));
      assert.equal(e.status, 403);
      assert.equal(e.message, 'Batch requests are not allowed.');
      await pb.settings.update({ batch: { enabled: true } });
      assert.equal((await batchOf(1)).length, 1);
    });

    test('batch.maxRequests and batch.maxBodySize', async () => {
      await pb.settings.update({ batch: { maxRequests: 2 } });
      const many = await sdkFailure(batchOf(3));
      assert.equal(many.status, 400);
      assert.equal(many.response.data.requests.code, 'validation_length_too_long');
      assert.equal((await batchOf(2)).length, 2);
      await pb.settings.update({ batch: { maxRequests: 50, maxBodySize: 200 } });
      const big = await sdkFailure(batchOf(1, 'x'.repeat(300)));
      assert.equal(big.status, 413);
      // without a Content-Length the bytes are counted as they come
      const chunked = await fetch(`${t.url}/api/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        duplex: 'half',
        body: new ReadableStream({
          start(c) {
            c.enqueue(
              new TextEncoder().encode(
                `{"requests":[{"method":"POST","url":"/api/collections/notes/records","body":{"title":"${'y'.repeat(300)}"}}]}`,
              ),
            );
            c.close();
          },
        }),
      } as RequestInit);
      assert.equal(chunked.status, 413);
      await pb.settings.update({ batch: { maxBodySize: 0 } });
      assert.equal((await batchOf(1, 'x'.repeat(300))).length, 1);
    });

    test("batch.timeout rolls a slow batch back with PocketBase's 400", async () => {
      await pb.settings.update({ batch: { timeout: 1 } });
      const off = t.app.records.hooks.beforeCreate('notes', async (e) => {
        if (e.body.title === 'slow0') await delay(1200);
      });
      try {
        const before = await count();
        const e = await sdkFailure(batchOf(2, 'slow'));
        assert.equal(e.status, 400);
        assert.equal(e.message, 'Batch transaction failed.');
        assert.equal(await count(), before);
      } finally {
        off();
        await pb.settings.update({ batch: { timeout: 3 } });
      }
    });
  });
}
