import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { getBytes, sendBytes } from '../support/storage-api.ts';

const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

for (const dialect of DIALECTS) {
  describe(`storage buckets and objects (${dialect})`, () => {
    let t: TestApp;
    let user: TestUser;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      user = await createUser(t, 'bucket-user@example.com');
    });
    after(() => t.close());

    const createBucket = async (body: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/storage/buckets', { token: 'superuser', body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const blobsOf = (bucketId: string) => {
      const dir = join(t.config.dataDir, 'storage', '_buckets', bucketId);
      return existsSync(dir) ? readdirSync(dir).filter((n) => n !== '_t') : [];
    };

    test('superusers manage buckets; names are checked; others get 401/403', async () => {
      const b = await createBucket({
        name: 'photos',
        public: false,
        allowedMimeTypes: ['image/*'],
        maxSize: 1000,
      });
      assert.equal(b.name, 'photos');
      assert.deepEqual(b.allowedMimeTypes, ['image/*']);
      assert.equal(b.listRule, null);
      const bad = await t.request('POST', '/api/storage/buckets', {
        token: 'superuser',
        body: { name: 'Bad_Name', maxSize: -1, listRule: 'nope = 1' },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.data).sort(), ['listRule', 'maxSize', 'name']);
      const reserved = await t.request('POST', '/api/storage/buckets', {
        token: 'superuser',
        body: { name: 'list' },
      });
      assert.equal(reserved.body.data.name.code, 'validation_reserved_bucket_name');
      const dup = await t.request('POST', '/api/storage/buckets', {
        token: 'superuser',
        body: { name: 'photos' },
      });
      assert.equal(dup.body.data.name.code, 'validation_bucket_name_exists');
      assert.equal((await t.request('GET', '/api/storage/buckets')).status, 403);
      assert.equal((await t.request('GET', '/api/storage/buckets', { token: user.token })).status, 403);
      const patched = await t.request('PATCH', '/api/storage/buckets/photos', {
        token: 'superuser',
        body: { public: true, viewRule: '' },
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.public, true);
      const listed = await t.request('GET', '/api/storage/buckets', { token: 'superuser' });
      assert.ok(listed.body.some((x: { name: string }) => x.name === 'photos'));
    });

    test('upload, download with ranges and ETag, no overwrite without upsert', async () => {
      const b = await createBucket({ name: 'docs', createRule: '', viewRule: '', updateRule: '' });
      const up = await sendBytes(
        t,
        'POST',
        '/api/storage/object/docs/notes/hello world.txt',
        'hello storage',
        {
          contentType: 'text/plain',
        },
      );
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.equal(up.body.key, 'docs/notes/hello world.txt');
      assert.equal(up.body.size, 13);
      assert.equal(up.body.mimeType, 'text/plain');
      assert.equal(up.body.etag, `"${createHash('md5').update('hello storage').digest('hex')}"`);
      const path = `/api/storage/object/docs/notes/${encodeURIComponent('hello world.txt')}`;
      const got = await getBytes(t, path);
      assert.equal(got.status, 200);
      assert.equal(got.bytes.toString(), 'hello storage');
      assert.equal(got.headers.get('etag'), up.body.etag);
      const part = await getBytes(t, path, { headers: { range: 'bytes=6-12' } });
      assert.equal(part.status, 206);
      assert.equal(part.bytes.toString(), 'storage');
      assert.equal((await getBytes(t, path, { headers: { 'if-none-match': up.body.etag } })).status, 304);
      const again = await sendBytes(t, 'POST', '/api/storage/object/docs/notes/hello world.txt', 'x');
      assert.equal(again.status, 409);
      const replaced = await sendBytes(
        t,
        'POST',
        '/api/storage/object/docs/notes/hello world.txt',
        'second',
        {
          headers: { 'x-upsert': 'true' },
        },
      );
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.created, up.body.created);
      assert.equal((await getBytes(t, path)).bytes.toString(), 'second');
      // the replaced blob is gone once the write committed
      await waitFor(() => blobsOf(b.id).length === 1);
      const info = await t.request(
        'GET',
        `/api/storage/object/info/docs/notes/${encodeURIComponent('hello world.txt')}`,
      );
      assert.equal(info.body.size, 6);
      assert.equal((await getBytes(t, '/api/storage/object/docs/missing.txt')).status, 404);
      assert.equal((await getBytes(t, '/api/storage/object/nobucket/x.txt')).status, 404);
    });

    test('bad names, oversize and disallowed types are 4xx and leave nothing behind', async () => {
      const b = await createBucket({
        name: 'strict',
        createRule: '',
        allowedMimeTypes: ['image/*'],
        maxSize: 100,
      });
      for (const name of ['a//b.png', '../x.png', 'a%01b.png', 'a/%2E%2E']) {
        const res = await sendBytes(t, 'POST', `/api/storage/object/strict/${name}`, PNG_1x1);
        // fetch resolves ../ itself (the path leaves the bucket: 404); the rest reach the server
        assert.equal(res.status, name.startsWith('..') || name.endsWith('%2E%2E') ? 404 : 400, name);
      }
      const big = await sendBytes(t, 'POST', '/api/storage/object/strict/big.png', Buffer.alloc(101, 1));
      assert.equal(big.status, 413);
      assert.equal(big.body.data.size.code, 'validation_file_size_limit');
      const fake = await sendBytes(t, 'POST', '/api/storage/object/strict/fake.png', 'not an image', {
        contentType: 'image/png',
      });
      assert.equal(fake.status, 415);
      const ok = await sendBytes(t, 'POST', '/api/storage/object/strict/real.png', PNG_1x1, {
        contentType: 'application/octet-stream',
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.mimeType, 'image/png');
      assert.deepEqual(blobsOf(b.id), [ok.body.id]);
    });

    test('listing folds folders, pages with next, and searches', async () => {
      await createBucket({ name: 'tree', createRule: '', listRule: '' });
      for (const name of ['docs/a.txt', 'docs/b.txt', 'docs/sub/c.txt', 'top.txt', 'zeta/z.txt']) {
        assert.equal((await sendBytes(t, 'POST', `/api/storage/object/tree/${name}`, name)).status, 200);
      }
      const list = async (body: Record<string, unknown>) =>
        (await t.request('POST', '/api/storage/object/list/tree', { body })).body;
      const root = await list({});
      assert.deepEqual(root.prefixes, ['docs/', 'zeta/']);
      assert.deepEqual(
        root.items.map((i: { name: string }) => i.name),
        ['top.txt'],
      );
      const docs = await list({ prefix: 'docs' });
      assert.deepEqual(docs.prefixes, ['docs/sub/']);
      assert.deepEqual(
        docs.items.map((i: { name: string }) => i.name),
        ['docs/a.txt', 'docs/b.txt'],
      );
      const flat = await list({ delimiter: '', limit: 2 });
      assert.equal(flat.truncated, true);
      const rest = await list({ delimiter: '', limit: 10, after: flat.next });
      assert.deepEqual(
        [...flat.items, ...rest.items].map((i: { name: string }) => i.name),
        ['docs/a.txt', 'docs/b.txt', 'docs/sub/c.txt', 'top.txt', 'zeta/z.txt'],
      );
      assert.deepEqual(
        (await list({ delimiter: '', search: 'B.T' })).items.map((i: { name: string }) => i.name),
        ['docs/b.txt'],
      );
      const bySize = await list({ delimiter: '', sortBy: { column: 'size', order: 'desc' }, limit: 1 });
      assert.equal(bySize.items[0].name, 'docs/sub/c.txt');
    });

    test('move and copy keep the bytes; a taken destination is 409', async () => {
      await createBucket({ name: 'moves', createRule: '', viewRule: '', updateRule: '' });
      await sendBytes(t, 'POST', '/api/storage/object/moves/a.txt', 'payload');
      await sendBytes(t, 'POST', '/api/storage/object/moves/taken.txt', 'other');
      const move = (body: Record<string, unknown>) => t.request('POST', '/api/storage/object/move', { body });
      assert.equal(
        (await move({ bucketId: 'moves', sourceKey: 'a.txt', destinationKey: 'taken.txt' })).status,
        409,
      );
      assert.equal(
        (await move({ bucketId: 'moves', sourceKey: 'a.txt', destinationKey: 'dir/b.txt' })).status,
        200,
      );
      assert.equal((await getBytes(t, '/api/storage/object/moves/a.txt')).status, 404);
      assert.equal((await getBytes(t, '/api/storage/object/moves/dir/b.txt')).bytes.toString(), 'payload');
      const copy = await t.request('POST', '/api/storage/object/copy', {
        body: { bucketId: 'moves', sourceKey: 'dir/b.txt', destinationKey: 'c.txt' },
      });
      assert.equal(copy.status, 200);
      assert.equal((await getBytes(t, '/api/storage/object/moves/c.txt')).bytes.toString(), 'payload');
      assert.equal((await getBytes(t, '/api/storage/object/moves/dir/b.txt')).bytes.toString(), 'payload');
    });

    test('a bucket is deleted only when empty', async () => {
      const b = await createBucket({ name: 'temp', createRule: '' });
      await sendBytes(t, 'POST', '/api/storage/object/temp/x.txt', 'x');
      assert.equal(
        (await t.request('DELETE', '/api/storage/buckets/temp', { token: 'superuser' })).status,
        409,
      );
      const emptied = await t.request('POST', '/api/storage/buckets/temp/empty', { token: 'superuser' });
      assert.deepEqual(emptied.body, { removed: 1 });
      assert.equal(
        (await t.request('DELETE', '/api/storage/buckets/temp', { token: 'superuser' })).status,
        204,
      );
      await waitFor(() => blobsOf(b.id).length === 0);
    });
  });
}

/** Waits for a condition that follows a commit (blob removal runs after it), bounded. */
async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
