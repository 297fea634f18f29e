import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS } from '../support/app.ts';
import { type Backend, type FileTestApp, startFileApp, textFile } from '../support/files.ts';

const COMBOS: [string, Backend][] = [
  ...DIALECTS.map((d): [string, Backend] => [d, 'local']),
  ['postgres', 's3'],
];

for (const [dialect, backend] of COMBOS) {
  describe(`batch with files (${dialect}, ${backend})`, () => {
    let t: FileTestApp;
    let docs: { id: string };
    before(async () => {
      t = await startFileApp(dialect as 'sqlite' | 'postgres', backend);
      docs = await t.createCollection({
        name: 'docs',
        listRule: '',
        viewRule: '',
        createRule: '',
        updateRule: '',
        deleteRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'files', type: 'file', maxSelect: 3, maxSize: 100 },
        ],
      });
    });
    after(() => t.close());

    const count = async () => (await t.request('GET', '/api/collections/docs/records')).body.totalItems;
    const multipart = (requests: unknown[], files: [string, File][]) => {
      const fd = new FormData();
      for (const [k, f] of files) fd.append(k, f);
      fd.append('@jsonPayload', JSON.stringify({ requests }));
      return t.request('POST', '/api/batch', { body: fd, token: 'superuser' });
    };

    test('the SDK sends files in batch creates and updates; all land with their records', async () => {
      const pb = new PocketBase(t.url);
      pb.authStore.save(t.superuserToken);
      const existing = await pb
        .collection('docs')
        .create({ title: 'old', files: [new File(['o'], 'o.txt')] });
      const batch = pb.createBatch();
      batch
        .collection('docs')
        .create({ title: 'one', files: [new File(['1'], 'one.txt'), new File(['11'], 'eleven.txt')] });
      batch.collection('docs').create({ title: 'two', files: new File(['2'], 'two.txt') });
      batch.collection('docs').update(existing.id, { 'files+': new File(['3'], 'three.txt') });
      const res = await batch.send();
      assert.deepEqual(
        res.map((r) => [r.status, r.body.title, r.body.files.length]),
        [
          [200, 'one', 2],
          [200, 'two', 1],
          [200, 'old', 2],
        ],
      );
      for (const r of res) {
        for (const name of r.body.files) {
          const got = await fetch(pb.files.getURL(r.body, name));
          assert.equal(got.status, 200, name);
        }
      }
      assert.equal(await (await fetch(pb.files.getURL(res[2]!.body, res[2]!.body.files[1]))).text(), '3');
      // nothing stays in the staging area
      assert.deepEqual(await t.blobKeys('_uploads/'), []);
      assert.equal((await t.blobKeys(`${docs.id}/${res[0]!.body.id}/`)).length, 2);
    });

    test('a failing later request leaves no blob and no record', async () => {
      const before = await t.blobKeys();
      const records = await count();
      const res = await multipart(
        [
          { method: 'POST', url: '/api/collections/docs/records', body: { title: 'a' } },
          { method: 'POST', url: '/api/collections/docs/records', body: { title: 'b' } },
          { method: 'POST', url: '/api/collections/docs/records', body: {} },
        ],
        [
          ['requests.0.files', textFile('a.txt', 'a')],
          ['requests.1.files', textFile('b.txt', 'b')],
          ['requests.2.files', textFile('c.txt', 'c')],
        ],
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.data.requests[2].code, 'batch_request_failed');
      assert.deepEqual(res.body.data.requests[2].response.data, {
        title: { code: 'validation_required', message: 'Cannot be blank.' },
      });
      assert.equal(await count(), records);
      assert.deepEqual(await t.blobKeys(), before);
    });

    test('a file over the field limit fails the batch with the field error', async () => {
      const before = await t.blobKeys();
      const res = await multipart(
        [
          { method: 'POST', url: '/api/collections/docs/records', body: { title: 'ok' } },
          { method: 'POST', url: '/api/collections/docs/records', body: { title: 'big' } },
        ],
        [
          ['requests.0.files', textFile('a.txt', 'a')],
          ['requests[1].files', textFile('big.txt', 'x'.repeat(101))],
        ],
      );
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.data.requests[1].response.data, {
        files: {
          code: 'validation_file_size_limit',
          message: 'Failed to upload big.txt - the maximum allowed file size is 100 bytes.',
          params: { file: 'big.txt', maxSize: 100 },
        },
      });
      assert.deepEqual(await t.blobKeys(), before);
    });

    test('deletes in a batch remove the files after commit', async () => {
      const created = await multipart(
        [{ method: 'POST', url: '/api/collections/docs/records', body: { title: 'gone' } }],
        [['requests.0.files', textFile('g.txt', 'g')]],
      );
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const id = created.body[0].body.id;
      assert.equal((await t.blobKeys(`${docs.id}/${id}/`)).length, 1);
      const del = await t.request('POST', '/api/batch', {
        token: 'superuser',
        body: { requests: [{ method: 'DELETE', url: `/api/collections/docs/records/${id}` }] },
      });
      assert.equal(del.status, 200);
      assert.deepEqual(await t.blobKeys(`${docs.id}/${id}/`), []);
    });
  });
}
