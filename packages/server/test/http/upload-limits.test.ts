import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { type StreamPart, streamMultipart } from '../support/multipart-stream.ts';

const KB = 1000;
/** The outside probe's upload: 8 files of 900 kB. */
const eightFiles = (field: string): StreamPart[] =>
  Array.from({ length: 8 }, (_, i) => ({
    name: field,
    filename: `part${i}.bin`,
    content: Buffer.alloc(900 * KB, i + 1),
  }));

// security #6: uploads never reach the disk before the permission check, and the body
// limit holds for the whole multipart stream
for (const dialect of DIALECTS) {
  describe(`upload limits (${dialect})`, () => {
    let t: TestApp;
    const blobKeys = () => t.app.files.blobs.list('');
    before(async () => {
      t = await startTestApp(dialect, { bodyLimit: 1_000_000 });
      for (const [name, createRule] of [
        ['closed', null],
        ['open', ''],
      ] as const) {
        await t.createCollection({
          name,
          createRule,
          updateRule: createRule,
          fields: [
            { name: 'title', type: 'text' },
            { name: 'files', type: 'file', maxSelect: 99, maxSize: 5_000_000 },
            { name: 'pair', type: 'file', maxSelect: 2 },
          ],
        });
      }
    });
    after(() => t.close());

    test('a create with a null createRule is refused before its files are read', async () => {
      // the client sends the first 100 kB and waits: the 403 must come without the rest
      const res = await streamMultipart(
        t.url,
        'POST',
        '/api/collections/closed/records',
        eightFiles('files'),
        {
          holdAfter: 100 * KB,
        },
      );
      assert.equal(res.status, 403);
      assert.equal(res.body.message, 'Only superusers can perform this action.');
      assert.deepEqual(await blobKeys(), []);
    });

    test('an update with a null updateRule is refused before its files are read', async () => {
      const rec = await t.app.records.asSystem().create('closed', { title: 'x' });
      const res = await streamMultipart(
        t.url,
        'PATCH',
        `/api/collections/closed/records/${rec.id}`,
        eightFiles('files'),
        { holdAfter: 100 * KB },
      );
      assert.equal(res.status, 403);
      assert.deepEqual(await blobKeys(), []);
    });

    test('8 × 900 kB to an open collection is a 413 at the body limit, and nothing stays stored', async () => {
      const res = await streamMultipart(t.url, 'POST', '/api/collections/open/records', eightFiles('files'));
      assert.equal(res.status, 413);
      assert.equal(res.body.message, 'The request body exceeded the limit of 1000000 bytes.');
      assert.deepEqual(await blobKeys(), []);
      assert.equal(
        (await t.request('GET', '/api/collections/open/records', { token: 'superuser' })).body.totalItems,
        0,
      );
    });

    test('a declared Content-Length over the limit is refused before any byte is read', async () => {
      const fd = new FormData();
      for (const p of eightFiles('files')) fd.append(p.name, new File([Buffer.from(p.content)], p.filename!));
      const res = await t.request('POST', '/api/collections/open/records', { body: fd });
      assert.equal(res.status, 413);
      assert.deepEqual(await blobKeys(), []);
    });

    test('a file part beyond maxSelect is refused while streaming, before it is stored', async () => {
      const parts: StreamPart[] = ['a', 'b', 'c'].map((n) => ({
        name: 'pair',
        filename: `${n}.txt`,
        content: Buffer.alloc(200 * KB, n),
      }));
      // the client stops inside the third file: the refusal must not wait for its end
      const res = await streamMultipart(t.url, 'POST', '/api/collections/open/records', parts, {
        holdAfter: 450 * KB,
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.data, {
        pair: {
          code: 'validation_too_many_files',
          message: 'The maximum allowed files is 2.',
          params: { maxSelect: 2 },
        },
      });
      assert.deepEqual(await blobKeys(), []);
    });

    test('a batch of 8 × 900 kB is a 413 at the body limit, with nothing staged', async () => {
      const parts: StreamPart[] = [
        {
          name: '@jsonPayload',
          content: JSON.stringify({
            requests: [{ method: 'POST', url: '/api/collections/open/records', body: { title: 'b' } }],
          }),
        },
        ...eightFiles('requests.0.files'),
      ];
      const res = await streamMultipart(t.url, 'POST', '/api/batch', parts);
      assert.equal(res.status, 413);
      assert.deepEqual(await blobKeys(), []);
    });
  });
}
