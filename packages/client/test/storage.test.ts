import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientError, type ForgeBase } from '../src/index.ts';
import { client, DIALECTS, startTestApp, type TestApp } from './support/server.ts';

for (const dialect of DIALECTS) {
  describe(`client buckets (${dialect})`, () => {
    let t: TestApp;
    let fb: ForgeBase;
    before(async () => {
      t = await startTestApp(dialect);
      fb = client(t.url, t.superuserToken);
      const res = await t.request('POST', '/api/storage/buckets', {
        token: 'superuser',
        body: { name: 'docs', public: false, createRule: '', listRule: '', updateRule: '' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
    after(() => t.close());

    test('upload reports progress up to the whole size, then download, info and list see it', async () => {
      const bytes = new Uint8Array(300_000).fill(65);
      const seen: number[] = [];
      const o = await fb.buckets.upload('docs', 'a/b.txt', new Blob([bytes], { type: 'text/plain' }), {
        onProgress: (sent) => seen.push(sent),
      });
      assert.equal(o.name, 'a/b.txt');
      assert.equal(o.size, 300_000);
      assert.equal(seen.at(-1), 300_000);
      assert.ok(seen.length > 1, 'progress came in steps');
      assert.equal((await fb.buckets.download('docs', 'a/b.txt')).size, 300_000);
      assert.equal((await fb.buckets.info('docs', 'a/b.txt')).mimeType, 'text/plain');
      const list = await fb.buckets.list('docs', { prefix: 'a/', delimiter: '' });
      assert.deepEqual(
        list.items.map((i) => i.name),
        ['a/b.txt'],
      );
      const taken = await fb.buckets.upload('docs', 'a/b.txt', new Blob(['x'])).catch((e: unknown) => e);
      assert.ok(taken instanceof ClientError && taken.status === 409 && taken.code === 'conflict');
    });

    test('a signed URL downloads without auth; a signed upload URL accepts a PUT', async () => {
      await fb.buckets.upload('docs', 'signed.txt', new Blob(['hello']), { contentType: 'text/plain' });
      assert.equal((await fetch(`${t.url}/api/storage/object/docs/signed.txt`)).status, 403);
      const url = await fb.buckets.signedUrl('docs', 'signed.txt', 60);
      assert.equal(await (await fetch(url)).text(), 'hello');
      const put = await fb.buckets.signedUploadUrl('docs', 'put.txt');
      const res = await fetch(put, {
        method: 'PUT',
        body: 'via put',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(res.status, 200);
      assert.equal(await (await fb.buckets.download('docs', 'put.txt')).text(), 'via put');
    });

    test('a resumable (tus) upload goes in chunks and resumes from the server offset', async () => {
      const data = new Blob([new Uint8Array(250_000).map((_, i) => i % 251)]);
      let url = '';
      const first = new AbortController();
      const progress: number[] = [];
      // stop after the first chunk, as if the tab closed
      await fb.buckets
        .uploadResumable('docs', 'big.bin', data, {
          chunkSize: 100_000,
          onUrl: (u) => {
            url = u;
          },
          onProgress: (sent) => {
            progress.push(sent);
            if (sent >= 100_000) first.abort();
          },
          signal: first.signal,
        })
        .catch(() => {});
      assert.ok(url.startsWith('/api/storage/upload/resumable/'));
      assert.equal(await fb.buckets.info('docs', 'big.bin').catch((e: ClientError) => e.status), 404);
      const resumed: number[] = [];
      await fb.buckets.uploadResumable('docs', 'big.bin', data, {
        chunkSize: 100_000,
        uploadUrl: url,
        onProgress: (sent) => resumed.push(sent),
      });
      assert.equal(resumed[0], 100_000, 'resumed at the offset the server kept');
      assert.equal(resumed.at(-1), 250_000);
      const back = new Uint8Array(await (await fb.buckets.download('docs', 'big.bin')).arrayBuffer());
      assert.deepEqual(back, new Uint8Array(await data.arrayBuffer()));
    });

    test('remove deletes objects by name', async () => {
      await fb.buckets.upload('docs', 'gone.txt', new Blob(['x']));
      const removed = await fb.buckets.remove('docs', ['gone.txt']);
      assert.deepEqual(
        removed.map((o) => o.name),
        ['gone.txt'],
      );
      assert.equal(await fb.buckets.info('docs', 'gone.txt').catch((e: ClientError) => e.code), 'not_found');
    });
  });
}
