import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_FOUND, REQUIRED } from '../support/expect.ts';

for (const dialect of DIALECTS) {
  describe(`records basics (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'notes',
        listRule: '',
        viewRule: '',
        createRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'n', type: 'number' },
        ],
      });
    });
    after(() => t.close());

    test('health answers like PocketBase and carries a request id', async () => {
      const res = await t.request('GET', '/api/health');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { message: 'API is healthy.', code: 200, data: {} });
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{16}$/);
    });

    test('create, view, update and delete a record', async () => {
      const created = await t.request('POST', '/api/collections/notes/records', {
        body: { title: 'hi', n: 2 },
      });
      assert.equal(created.status, 200);
      assert.match(created.body.id, /^[a-z0-9]{15}$/);
      assert.deepEqual(
        { ...created.body, id: 'x' },
        { collectionId: created.body.collectionId, collectionName: 'notes', id: 'x', title: 'hi', n: 2 },
      );
      const viewed = await t.request('GET', `/api/collections/notes/records/${created.body.id}`);
      assert.deepEqual(viewed.body, created.body);
      const updated = await t.request('PATCH', `/api/collections/notes/records/${created.body.id}`, {
        token: 'superuser',
        body: { 'n+': 3 },
      });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.n, 5);
      const del = await t.request('DELETE', `/api/collections/notes/records/${created.body.id}`, {
        token: 'superuser',
      });
      assert.equal(del.status, 204);
      const gone = await t.request('GET', `/api/collections/notes/records/${created.body.id}`);
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, NOT_FOUND);
    });

    test('a null rule is superusers only', async () => {
      const res = await t.request('PATCH', '/api/collections/notes/records/whatever', {
        body: { title: 'x' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.message, 'Only superusers can perform this action.');
    });

    test('validation errors use PocketBase shape', async () => {
      const res = await t.request('POST', '/api/collections/notes/records', { body: { n: 1 } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        data: { title: REQUIRED },
        message: 'Failed to create record.',
        status: 400,
      });
    });
  });
}
