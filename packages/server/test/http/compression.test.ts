import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pickEncoding } from '../../src/http/compression.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET through node:http, which (unlike fetch) hands over the body exactly as sent. */
function rawGet(url: string, headers: Record<string, string> = {}, readBody = true): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      if (!readBody) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) });
        res.destroy();
        return;
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('pickEncoding honours q-values and prefers brotli on a tie', () => {
  assert.equal(pickEncoding(undefined), undefined);
  assert.equal(pickEncoding('gzip, deflate, br'), 'br');
  assert.equal(pickEncoding('gzip'), 'gzip');
  assert.equal(pickEncoding('br;q=0, gzip'), 'gzip');
  assert.equal(pickEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
  assert.equal(pickEncoding('identity'), undefined);
  assert.equal(pickEncoding('*'), 'br');
  assert.equal(pickEncoding('*, br;q=0'), 'gzip');
  assert.equal(pickEncoding('gzip;q=0, br;q=0'), undefined);
});

for (const dialect of DIALECTS) {
  describe(`response compression (${dialect})`, () => {
    let t: TestApp;
    let fileRecord: { id: string; doc: string };
    const listUrl = () => `${t.url}/api/collections/notes/records?perPage=50`;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'notes',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'doc', type: 'file', maxSelect: 1 },
        ],
      });
      for (let i = 0; i < 20; i++) {
        const res = await t.request('POST', '/api/collections/notes/records', {
          token: 'superuser',
          body: { title: `note number ${i} with some words to make the list longer` },
        });
        assert.equal(res.status, 200);
      }
      const form = new FormData();
      form.set('title', 'with a file');
      form.set(
        'doc',
        new File([JSON.stringify({ data: 'x'.repeat(5000) })], 'data.json', { type: 'application/json' }),
      );
      const res = await t.request('POST', '/api/collections/notes/records', {
        token: 'superuser',
        body: form,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      fileRecord = res.body;
    });
    after(() => t.close());

    test('a large JSON answer is sent with brotli, or gzip when only that is accepted', async () => {
      const plain = await rawGet(listUrl());
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.ok(plain.body.length > 2048, `list is ${plain.body.length} bytes`);
      assert.equal(plain.headers.vary, 'Origin, Accept-Encoding');
      const expected = JSON.parse(plain.body.toString('utf8'));
      const br = await rawGet(listUrl(), { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(br.headers.vary, 'Origin, Accept-Encoding');
      assert.ok(br.body.length < plain.body.length / 2);
      assert.deepEqual(JSON.parse(brotliDecompressSync(br.body).toString('utf8')), expected);
      const gz = await rawGet(listUrl(), { 'accept-encoding': 'br;q=0, gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(Number(gz.headers['content-length']), gz.body.length);
      assert.deepEqual(JSON.parse(gunzipSync(gz.body).toString('utf8')), expected);
    });

    test('a small error answer is not compressed but varies on Accept-Encoding', async () => {
      const small = await rawGet(`${t.url}/api/nothing`, { 'accept-encoding': 'br' });
      assert.equal(small.status, 404);
      assert.equal(small.headers['content-encoding'], undefined);
      assert.equal(small.headers.vary, 'Origin, Accept-Encoding');
    });

    test('small answers, file downloads, ranges and the realtime stream are sent as they are', async () => {
      const health = await rawGet(`${t.url}/api/health`, { 'accept-encoding': 'br, gzip' });
      assert.equal(health.headers['content-encoding'], undefined);
      assert.deepEqual(JSON.parse(health.body.toString('utf8')).message, 'API is healthy.');
      const fileUrl = `${t.url}/api/files/notes/${fileRecord.id}/${fileRecord.doc}`;
      const file = await rawGet(fileUrl, { 'accept-encoding': 'br, gzip' });
      assert.equal(file.status, 200);
      assert.equal(file.headers['content-encoding'], undefined);
      assert.equal(file.body.length, 5000 + 11);
      const range = await rawGet(fileUrl, { 'accept-encoding': 'br, gzip', range: 'bytes=0-99' });
      assert.equal(range.status, 206);
      assert.equal(range.headers['content-encoding'], undefined);
      assert.equal(range.body.length, 100);
      const sse = await rawGet(`${t.url}/api/realtime`, { 'accept-encoding': 'br, gzip' }, false);
      assert.equal(sse.headers['content-type'], 'text/event-stream');
      assert.equal(sse.headers['content-encoding'], undefined);
    });
  });
}
