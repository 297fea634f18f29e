import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';

for (const dialect of DIALECTS) {
  describe(`S3 access keys API (${dialect})`, () => {
    let t: TestApp;
    let userToken: string;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      userToken = (await createUser(t, 's3-keys-user@example.com')).token;
    });
    after(() => t.close());

    test('a superuser creates a key (secret shown once), lists it without secret, deletes it', async () => {
      const res = await t.request('POST', '/api/storage/s3-keys', {
        token: 'superuser',
        body: { name: 'backup', buckets: ['photos'], readOnly: true },
      });
      assert.equal(res.status, 200);
      assert.match(res.body.accessKeyId, /^FB[A-Z0-9]{18}$/);
      assert.match(res.body.secretAccessKey, /^[\w-]{40}$/);
      assert.deepEqual(
        { name: res.body.name, buckets: res.body.buckets, readOnly: res.body.readOnly },
        { name: 'backup', buckets: ['photos'], readOnly: true },
      );
      const list = await t.request('GET', '/api/storage/s3-keys', { token: 'superuser' });
      assert.equal(list.status, 200);
      assert.equal(list.body.length, 1);
      assert.equal(list.body[0].accessKeyId, res.body.accessKeyId);
      assert.equal('secretAccessKey' in list.body[0], false);
      assert.equal('secret' in list.body[0], false);
      const del = await t.request('DELETE', `/api/storage/s3-keys/${res.body.id}`, { token: 'superuser' });
      assert.equal(del.status, 204);
      const again = await t.request('DELETE', `/api/storage/s3-keys/${res.body.id}`, { token: 'superuser' });
      assert.equal(again.status, 404);
      assert.deepEqual((await t.request('GET', '/api/storage/s3-keys', { token: 'superuser' })).body, []);
    });

    test('the OpenAPI document describes the key routes and marks /s3 as the S3 protocol', async () => {
      const doc = (await t.request('GET', '/api/docs/openapi.json')).body;
      const create = doc.paths['/api/storage/s3-keys'].post;
      assert.equal(create['x-forgebase'], true);
      assert.ok(create.responses['200'].content['application/json'].schema);
      const put = doc.paths['/s3/{bucket}/{objectName}'].put;
      assert.equal(put['x-protocol'], 's3');
      assert.match(put.description, /docs\/storage\.md/);
      assert.deepEqual(Object.keys(put.responses), ['default']);
    });

    test('invalid input is a 400 per field; users get 403, anonymous 401', async () => {
      const bad = await t.request('POST', '/api/storage/s3-keys', {
        token: 'superuser',
        body: { buckets: 'photos', readOnly: 'yes' },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.data).sort(), ['buckets', 'readOnly']);
      for (const [opts, status] of [
        [{ token: userToken }, 403],
        [{}, 401],
      ] as const) {
        assert.equal((await t.request('GET', '/api/storage/s3-keys', opts)).status, status);
        assert.equal((await t.request('POST', '/api/storage/s3-keys', { ...opts, body: {} })).status, status);
        assert.equal((await t.request('DELETE', '/api/storage/s3-keys/x', opts)).status, status);
      }
    });
  });
}
