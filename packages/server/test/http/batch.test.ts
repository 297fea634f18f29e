import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`batch (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { batchMaxRequests: 5 });
      await t.createCollection({
        name: 'items',
        listRule: '',
        viewRule: '',
        createRule: '',
        updateRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'n', type: 'number' },
        ],
      });
    });
    after(() => t.close());

    const titles = async () =>
      (await t.request('GET', '/api/collections/items/records?sort=title')).body.items.map(
        (i: { title: string }) => i.title,
      );
    const batch = (requests: unknown[], token?: string) =>
      t.request('POST', '/api/batch', { body: { requests }, ...(token ? { token } : {}) });

    test('create, upsert, update and delete run together and answer per request', async () => {
      const first = await t.request('POST', '/api/collections/items/records', { body: { title: 'a' } });
      const res = await batch(
        [
          { method: 'POST', url: '/api/collections/items/records', body: { title: 'b' } },
          {
            method: 'PUT',
            url: '/api/collections/items/records',
            body: { id: 'upsert000000001', title: 'c' },
          },
          {
            method: 'PUT',
            url: '/api/collections/items/records',
            body: { id: 'upsert000000001', title: 'd' },
          },
          { method: 'PATCH', url: `/api/collections/items/records/${first.body.id}`, body: { 'n+': 2 } },
          { method: 'DELETE', url: `/api/collections/items/records/${first.body.id}` },
        ],
        'superuser',
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.map((r: { status: number; body: { title?: string; n?: number } | null }) => [
          r.status,
          r.body?.title ?? null,
          r.body?.n ?? null,
        ]),
        [
          [200, 'b', 0],
          [200, 'c', 0],
          [200, 'd', 0],
          [200, 'a', 2],
          [204, null, null],
        ],
      );
      assert.deepEqual(await titles(), ['b', 'd']);
    });

    test('one failing request rolls back all and says which one failed', async () => {
      const before = await titles();
      const res = await batch([
        { method: 'POST', url: '/api/collections/items/records', body: { title: 'x' } },
        { method: 'POST', url: '/api/collections/items/records', body: {} },
      ]);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        data: {
          requests: {
            1: {
              code: 'batch_request_failed',
              message: 'Batch request failed.',
              response: {
                status: 400,
                message: 'Failed to create record.',
                data: { title: { code: 'validation_required', message: 'Cannot be blank.' } },
              },
            },
          },
        },
        message: 'Batch transaction failed.',
        status: 400,
      });
      assert.deepEqual(await titles(), before);
    });

    test('expand and fields in a request URL shape that response, within the rules', async () => {
      const items = await t.request('GET', '/api/collections/items', { token: 'superuser' });
      await t.createCollection({
        name: 'notes',
        createRule: '',
        fields: [
          { name: 'text', type: 'text' },
          { name: 'item', type: 'relation', collectionId: items.body.id },
        ],
      });
      const item = await t.request('POST', '/api/collections/items/records', {
        body: { title: 'linked', n: 7 },
      });
      const res = await batch([
        {
          method: 'POST',
          url: '/api/collections/notes/records?expand=item&fields=text,expand.item.title',
          body: { text: 'hello', item: item.body.id },
        },
        { method: 'POST', url: '/api/collections/notes/records?fields=id', body: { text: 'plain' } },
      ]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body[0], {
        status: 200,
        body: { text: 'hello', expand: { item: { title: 'linked' } } },
      });
      assert.deepEqual(Object.keys(res.body[1].body), ['id']);
    });

    test('each request is checked by its rules', async () => {
      const res = await batch([{ method: 'DELETE', url: '/api/collections/items/records/whatever' }]);
      assert.equal(res.status, 400);
      assert.equal(res.body.data.requests[0].response.status, 403);
    });

    test('bad batches are 400s: empty, too many, unsupported urls', async () => {
      assert.equal((await batch([])).status, 400);
      const many = Array.from({ length: 6 }, () => ({
        method: 'POST',
        url: '/api/collections/items/records',
        body: { title: 'm' },
      }));
      const tooMany = await batch(many);
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.data.requests.code, 'validation_length_too_long');
      const other = await batch([{ method: 'GET', url: '/api/collections/items/records' }]);
      assert.equal(other.status, 400);
      assert.equal(other.body.data.requests[0].code, 'batch_request_invalid');
      const collections = await batch([{ method: 'POST', url: '/api/collections', body: {} }]);
      assert.equal(collections.status, 400);
    });
  });
}
