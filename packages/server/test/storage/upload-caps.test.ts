import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { pngFile } from '../support/files.ts';

// security #16: default upload caps (configurable): a global object size cap that bucket
// limits may only lower, the same cap for tus, and a bounded cache of transform variants
for (const dialect of DIALECTS) {
  describe(`storage upload caps (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { storageMaxObjectSize: 100_000, storageTransformVariants: 2 });
      for (const body of [
        { name: 'open', public: true, createRule: '', viewRule: '' },
        { name: 'roomy', public: true, createRule: '', viewRule: '', maxSize: 10_000_000 },
      ]) {
        const res = await t.request('POST', '/api/storage/buckets', { token: 'superuser', body });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    });
    after(() => t.close());

    const upload = (bucket: string, name: string, bytes: Uint8Array) =>
      fetch(`${t.url}/api/storage/object/${bucket}/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });

    test('a bucket without maxSize holds objects up to the global cap, not more', async () => {
      assert.equal((await upload('open', 'ok.bin', new Uint8Array(100_000))).status, 200);
      const res = await upload('open', 'big.bin', new Uint8Array(100_001));
      assert.equal(res.status, 413);
      assert.equal(
        ((await res.json()) as { message: string }).message,
        'The object exceeded the maximum allowed size of 100000 bytes.',
      );
    });

    test("a bucket's larger maxSize does not lift the global cap", async () => {
      assert.equal((await upload('roomy', 'big.bin', new Uint8Array(100_001))).status, 413);
    });

    test('tus announces the cap and refuses a longer upload before any bytes', async () => {
      const opts = await fetch(`${t.url}/api/storage/upload/resumable`, {
        method: 'OPTIONS',
        headers: { 'Tus-Resumable': '1.0.0' },
      });
      assert.equal(opts.headers.get('tus-max-size'), '100000');
      const meta = (o: Record<string, string>) =>
        Object.entries(o)
          .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
          .join(',');
      const res = await fetch(`${t.url}/api/storage/upload/resumable`, {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': '100001',
          'Upload-Metadata': meta({ bucketName: 'roomy', objectName: 'big.bin' }),
        },
      });
      assert.equal(res.status, 413);
    });

    test('at most storageTransformVariants variants of one image stay cached', async () => {
      const png = await pngFile('p.png', 64, 48);
      assert.equal((await upload('open', 'p.png', new Uint8Array(await png.arrayBuffer()))).status, 200);
      for (const width of [10, 11, 12, 13, 14]) {
        const res = await fetch(`${t.url}/api/storage/render/image/open/p.png?width=${width}`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      const transforms = await t.app.files.blobs.list('_buckets/');
      assert.equal(transforms.filter((k) => k.includes('/_t/')).length, 2);
    });
  });
}
