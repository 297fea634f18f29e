import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { type Backend, type FileTestApp, form, pngFile, startFileApp, textFile } from '../support/files.ts';

const COMBOS: [string, Backend][] = [
  ...DIALECTS.map((d): [string, Backend] => [d, 'local']),
  ['sqlite', 's3'],
];

for (const [dialect, backend] of COMBOS) {
  describe(`file downloads (${dialect}, ${backend})`, () => {
    let t: FileTestApp;
    let media: { id: string };
    let owner: TestUser;
    let other: TestUser;
    let rec: { id: string; image: string; doc: string; page: string; secret: string };
    before(async () => {
      t = await startFileApp(dialect as 'sqlite' | 'postgres', backend);
      await createUsersCollection(t);
      owner = await createUser(t, 'owner@example.com');
      other = await createUser(t, 'other@example.com');
      media = await t.createCollection({
        name: 'media',
        listRule: '',
        viewRule: 'owner = @request.auth.id',
        createRule: '',
        fields: [
          { name: 'owner', type: 'text' },
          {
            name: 'image',
            type: 'file',
            maxSelect: 1,
            thumbs: ['20x10', '0x12', '16x0', '30x30f', '10x10t', '8x8'],
          },
          { name: 'doc', type: 'file', maxSelect: 1, thumbs: ['20x10'] },
          { name: 'page', type: 'file', maxSelect: 1 },
          { name: 'secret', type: 'file', maxSelect: 1, protected: true },
        ],
      });
      const res = await t.request('POST', '/api/collections/media/records', {
        token: 'superuser',
        body: form({
          owner: owner.id,
          image: await pngFile('pic.png', 64, 48),
          doc: textFile('notes.txt', '0123456789abcdef'),
          page: new File(['<script>alert(1)</script>'], 'page.html', { type: 'text/html' }),
          secret: textFile('secret.txt', 'top secret'),
        }),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      rec = res.body;
    });
    after(() => t.close());

    const get = (name: string, query = '', headers: Record<string, string> = {}) =>
      fetch(`${t.url}/api/files/media/${rec.id}/${name}${query}`, { headers });
    const size = async (res: Response) => {
      const sharp = (await import('sharp')).default;
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      return `${meta.width}x${meta.height}`;
    };

    test('unknown collection, record or file name is 404', async () => {
      for (const path of [
        `/api/files/nope/${rec.id}/${rec.doc}`,
        `/api/files/media/nope/${rec.doc}`,
        `/api/files/media/${rec.id}/missing.txt`,
        `/api/files/media/${rec.id}/..%2F..%2Fdata.db`,
      ]) {
        const res = await fetch(t.url + path);
        assert.equal(res.status, 404, path);
        assert.deepEqual(await res.json(), {
          status: 404,
          message: "The requested resource wasn't found.",
          data: {},
        });
      }
    });

    test('headers: inline images, attachments for other types and with download=1, CSP and nosniff', async () => {
      const img = await get(rec.image);
      assert.equal(img.status, 200);
      assert.equal(img.headers.get('content-type'), 'image/png');
      assert.equal(img.headers.get('content-disposition'), `inline; filename=${rec.image}`);
      assert.equal(img.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(
        img.headers.get('content-security-policy'),
        "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
      );
      assert.equal(img.headers.get('cache-control'), 'max-age=2592000, stale-while-revalidate=86400');
      const dl = await get(rec.image, '?download=1');
      assert.equal(dl.headers.get('content-disposition'), `attachment; filename=${rec.image}`);
      const html = await get(rec.page);
      assert.equal(html.headers.get('content-type'), 'text/html');
      assert.equal(html.headers.get('content-disposition'), `attachment; filename=${rec.page}`);
      assert.match(html.headers.get('content-security-policy') ?? '', /sandbox/);
    });

    test('range requests answer 206 with the slice, 416 when out of range', async () => {
      const part = await get(rec.doc, '', { range: 'bytes=2-5' });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 2-5/16');
      assert.equal(await part.text(), '2345');
      const suffix = await get(rec.doc, '', { range: 'bytes=-3' });
      assert.equal(suffix.status, 206);
      assert.equal(await suffix.text(), 'def');
      const open = await get(rec.doc, '', { range: 'bytes=10-' });
      assert.equal(await open.text(), 'abcdef');
      const bad = await get(rec.doc, '', { range: 'bytes=16-20' });
      assert.equal(bad.status, 416);
      assert.equal(bad.headers.get('content-range'), 'bytes */16');
    });

    test('ETag and If-None-Match answer 304', async () => {
      const first = await get(rec.doc);
      const etag = first.headers.get('etag');
      assert.ok(etag);
      assert.equal(await first.text(), '0123456789abcdef');
      const again = await get(rec.doc, '', { 'if-none-match': etag });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), '');
      const changed = await get(rec.doc, '', { 'if-none-match': '"other"' });
      assert.equal(changed.status, 200);
    });

    test('listed thumb sizes are made with sharp in every mode', async () => {
      const cases: [string, string][] = [
        ['20x10', '20x10'],
        ['0x12', '16x12'],
        ['16x0', '16x12'],
        ['30x30f', '30x23'],
        ['10x10t', '10x10'],
        ['100x100', '100x100'],
      ];
      for (const [thumb, expected] of cases) {
        const res = await get(rec.image, `?thumb=${thumb}`);
        assert.equal(res.status, 200, thumb);
        assert.equal(res.headers.get('content-type'), 'image/png');
        assert.equal(res.headers.get('content-disposition'), `inline; filename=${thumb}_${rec.image}`);
        assert.equal(await size(res), expected, thumb);
      }
    });

    test('a thumb is made once and then served from the store', async () => {
      const key = `${media.id}/${rec.id}/thumbs_${rec.image}/20x10_${rec.image}`;
      assert.ok((await t.blobKeys(`${media.id}/${rec.id}/thumbs_${rec.image}/`)).includes(key));
      // overwrite the cached thumb with a marker image: a regenerated thumb would not be it
      const marker = Buffer.from(await (await pngFile('m.png', 3, 3)).arrayBuffer());
      await t.app.files.blobs.put(key, Readable.from([marker]), { contentType: 'image/png' });
      const res = await get(rec.image, '?thumb=20x10');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), marker);
    });

    test('concurrent requests for a new thumb all get the same thumb, stored once', async () => {
      const bodies = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const res = await get(rec.image, '?thumb=8x8');
          assert.equal(res.status, 200);
          return Buffer.from(await res.arrayBuffer());
        }),
      );
      for (const b of bodies) assert.deepEqual(b, bodies[0]);
      const keys = await t.blobKeys(`${media.id}/${rec.id}/thumbs_${rec.image}/8x8_`);
      assert.equal(keys.length, 1);
    });

    test('unlisted sizes and non-images serve the original', async () => {
      const original = Buffer.from(await (await get(rec.image)).arrayBuffer());
      const unlisted = await get(rec.image, '?thumb=50x50');
      assert.deepEqual(Buffer.from(await unlisted.arrayBuffer()), original);
      const text = await get(rec.doc, '?thumb=20x10');
      assert.equal(await text.text(), '0123456789abcdef');
      assert.equal(
        (await t.blobKeys(`${media.id}/${rec.id}/`)).filter(
          (k) => k.includes('50x50') || k.includes('thumbs_notes'),
        ).length,
        0,
      );
    });

    test('the SDK builds thumb URLs that serve the thumb', async () => {
      const pb = new PocketBase(t.url);
      const url = pb.files.getURL({ ...rec, collectionName: 'media' }, rec.image, { thumb: '20x10' });
      const res = await fetch(url);
      assert.equal(res.status, 200);
    });

    test('protected files need a file token of a viewer the viewRule lets through', async () => {
      assert.equal((await get(rec.secret)).status, 404);
      const anon = await t.request('POST', '/api/files/token');
      assert.equal(anon.status, 401);
      const mine = await t.request('POST', '/api/files/token', { token: owner.token });
      assert.equal(mine.status, 200);
      assert.deepEqual(Object.keys(mine.body), ['token']);
      const ok = await get(rec.secret, `?token=${mine.body.token}`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'top secret');
      const theirs = await t.request('POST', '/api/files/token', { token: other.token });
      assert.equal((await get(rec.secret, `?token=${theirs.body.token}`)).status, 404);
      // an auth token is not a file token
      assert.equal((await get(rec.secret, `?token=${owner.token}`)).status, 404);
      const su = await t.request('POST', '/api/files/token', { token: 'superuser' });
      assert.equal((await get(rec.secret, `?token=${su.body.token}`)).status, 200);
      // the SDK's way: getURL with the token
      const pb = new PocketBase(t.url);
      pb.authStore.save(owner.token);
      const fileToken = await pb.files.getToken();
      const res = await fetch(
        pb.files.getURL({ ...rec, collectionName: 'media' }, rec.secret, { token: fileToken }),
      );
      assert.equal(res.status, 200);
    });
  });
}
