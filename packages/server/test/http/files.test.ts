import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS } from '../support/app.ts';
import { type Backend, type FileTestApp, form, pngFile, startFileApp, textFile } from '../support/files.ts';

const NAME = (base: string, ext: string) => new RegExp(`^${base}_[a-z0-9]{10}\\.${ext}$`);

for (const dialect of DIALECTS) {
  for (const backend of ['local', 's3'] as Backend[]) {
    describe(`record files (${dialect}, ${backend})`, () => {
      let t: FileTestApp;
      let docs: { id: string };
      before(async () => {
        t = await startFileApp(dialect, backend);
        docs = await t.createCollection({
          name: 'docs',
          listRule: '',
          viewRule: '',
          createRule: '',
          updateRule: '',
          deleteRule: '',
          fields: [
            { name: 'title', type: 'text', required: true },
            { name: 'slug', type: 'text' },
            { name: 'cover', type: 'file', maxSelect: 1, maxSize: 1000 },
            { name: 'files', type: 'file', maxSelect: 3 },
            { name: 'images', type: 'file', maxSelect: 2, mimeTypes: ['image/png', 'image/jpeg'] },
          ],
          indexes: ['CREATE UNIQUE INDEX idx_docs_slug ON docs (slug) WHERE slug != ""'],
        });
      });
      after(() => t.close());

      const create = (fields: Parameters<typeof form>[0]) =>
        t.request('POST', '/api/collections/docs/records', { body: form(fields) });
      const update = (id: string, fields: Parameters<typeof form>[0]) =>
        t.request('PATCH', `/api/collections/docs/records/${id}`, { body: form(fields) });
      const download = async (id: string, name: string) => {
        const res = await fetch(`${t.url}/api/files/docs/${id}/${name}`);
        return { status: res.status, text: await res.text() };
      };
      const keysOf = (id: string) => t.blobKeys(`${docs.id}/${id}/`);

      test('create stores single and multiple files under <collectionId>/<recordId>/<name>', async () => {
        const res = await create({
          title: 'a',
          cover: textFile('Cover Letter.txt', 'dear reader'),
          files: [textFile('one.txt', '1'), textFile('two.txt', '2')],
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.match(res.body.cover, NAME('cover_letter', 'txt'));
        assert.equal(res.body.files.length, 2);
        assert.match(res.body.files[0], NAME('one', 'txt'));
        assert.match(res.body.files[1], NAME('two', 'txt'));
        assert.deepEqual(res.body.images, []);
        const id = res.body.id;
        assert.deepEqual(
          await keysOf(id),
          [res.body.cover, ...res.body.files].map((n) => `${docs.id}/${id}/${n}`).sort(),
        );
        assert.deepEqual(await download(id, res.body.cover), { status: 200, text: 'dear reader' });
        assert.deepEqual(await download(id, res.body.files[1]), { status: 200, text: '2' });
        const view = await t.request('GET', `/api/collections/docs/records/${id}`);
        assert.deepEqual(view.body.files, res.body.files);
      });

      test('update replaces, appends (+), removes by name (-) and drops names left out', async () => {
        const c = await create({
          title: 'b',
          cover: textFile('old.txt', 'old'),
          files: [textFile('f1.txt', '1')],
        });
        const id = c.body.id;
        const replaced = await update(id, { cover: textFile('new.txt', 'new') });
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
        assert.match(replaced.body.cover, NAME('new', 'txt'));
        assert.equal((await download(id, c.body.cover)).status, 404);
        assert.deepEqual(await download(id, replaced.body.cover), { status: 200, text: 'new' });

        const appended = await update(id, { 'files+': [textFile('f2.txt', '2'), textFile('f3.txt', '3')] });
        assert.equal(appended.status, 200, JSON.stringify(appended.body));
        assert.equal(appended.body.files.length, 3);
        assert.equal(appended.body.files[0], c.body.files[0]);
        const [f1, f2, f3] = appended.body.files;

        const removed = await update(id, { 'files-': f2 });
        assert.deepEqual(removed.body.files, [f1, f3]);
        assert.equal((await download(id, f2)).status, 404);

        // a plain JSON update with fewer names deletes the others
        const fewer = await t.request('PATCH', `/api/collections/docs/records/${id}`, {
          body: { files: [f3] },
        });
        assert.deepEqual(fewer.body.files, [f3]);
        // existing names plus a new upload under the same key keep the named ones
        const merged = await update(id, { files: [f3, textFile('f4.txt', '4')] });
        assert.equal(merged.body.files.length, 2);
        assert.equal(merged.body.files[0], f3);
        assert.deepEqual(
          await keysOf(id),
          [replaced.body.cover, ...merged.body.files].map((n: string) => `${docs.id}/${id}/${n}`).sort(),
        );
      });

      test('maxSize, maxSelect and sniffed mimeTypes fail with PocketBase errors and leave no blob', async () => {
        const before = await t.blobKeys();
        const big = await create({ title: 'c', cover: textFile('big.txt', 'x'.repeat(1001)) });
        assert.equal(big.status, 400);
        assert.deepEqual(big.body.data, {
          cover: {
            code: 'validation_file_size_limit',
            message: 'Failed to upload big.txt - the maximum allowed file size is 1000 bytes.',
            params: { file: 'big.txt', maxSize: 1000 },
          },
        });
        const many = await create({
          title: 'c',
          files: ['1', '2', '3', '4'].map((n) => textFile(`${n}.txt`, n)),
        });
        assert.equal(many.status, 400);
        assert.deepEqual(many.body.data, {
          files: {
            code: 'validation_too_many_files',
            message: 'The maximum allowed files is 3.',
            params: { maxSelect: 3 },
          },
        });
        // a .png name on text content is text/plain, whatever the name or the sent type says
        const fake = await create({
          title: 'c',
          images: new File(['not an image'], 'photo.png', { type: 'image/png' }),
        });
        assert.equal(fake.status, 400);
        assert.equal(fake.body.data.images.code, 'validation_invalid_mime_type');
        assert.match(
          fake.body.data.images.message,
          /^"photo_[a-z0-9]{10}\.png" mime type must be one of: image\/png, image\/jpeg\.$/,
        );
        const real = await create({ title: 'c', images: await pngFile('photo.png') });
        assert.equal(real.status, 200, JSON.stringify(real.body));
        assert.deepEqual(
          (await t.blobKeys()).filter((k) => !before.includes(k)),
          [`${docs.id}/${real.body.id}/${real.body.images[0]}`],
        );
      });

      test('a create with its own id keeps the files beside that id', async () => {
        const id = `own${backend}`.padEnd(15, '0');
        const res = await create({ id, title: 'own', files: textFile('o.txt', 'o') });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.id, id);
        assert.deepEqual(await keysOf(id), [`${docs.id}/${id}/${res.body.files[0]}`]);
        assert.deepEqual(await t.blobKeys('_uploads/'), []);
      });

      test('a large upload over maxSize is cut off while streaming; file parts for other fields are ignored', async () => {
        const before = await t.blobKeys();
        const res = await create({
          title: 'big',
          slug: textFile('slug.txt', 'not a slug'),
          cover: new File([new Uint8Array(3 * 1024 * 1024)], 'huge.bin'),
        });
        assert.equal(res.status, 400);
        assert.deepEqual(Object.keys(res.body.data), ['cover']);
        assert.equal(res.body.data.cover.code, 'validation_file_size_limit');
        assert.deepEqual(await t.blobKeys(), before);
        const ok = await create({ title: 'ok', slug: textFile('slug.txt', 'ignored') });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.slug, '');
      });

      test("plain names that are not the record's files are refused", async () => {
        const res = await t.request('POST', '/api/collections/docs/records', {
          body: { title: 'd', cover: 'other_file.txt' },
        });
        assert.equal(res.status, 400);
        assert.equal(res.body.data.cover.code, 'validation_invalid_file');
      });

      test('path traversal in a file name is sanitized away', async () => {
        const res = await create({
          title: 'e',
          files: [
            textFile('../../../etc/passwd', 'p'),
            textFile('..\\..\\evil.txt', 'e'),
            textFile('.hidden', 'h'),
          ],
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        for (const name of res.body.files) assert.match(name, /^[a-z0-9_]+(\.[\w.=+-]+)?$/);
        assert.match(res.body.files[1], NAME('evil', 'txt'));
        const keys = await keysOf(res.body.id);
        assert.equal(keys.length, 3);
        for (const k of keys) assert.ok(k.startsWith(`${docs.id}/${res.body.id}/`), k);
      });

      test('a failed write leaves no blob: validation, unique index, and a bad id', async () => {
        const before = await t.blobKeys();
        const missing = await create({ cover: textFile('x.txt', 'x') });
        assert.equal(missing.status, 400);
        assert.equal(missing.body.data.title.code, 'validation_required');
        const first = await create({ title: 'u', slug: 'taken', files: [textFile('a.txt', 'a')] });
        assert.equal(first.status, 200);
        const dup = await create({ title: 'u', slug: 'taken', files: [textFile('b.txt', 'b')] });
        assert.equal(dup.status, 400);
        assert.equal(dup.body.data.slug.code, 'validation_not_unique');
        const badId = await create({ id: '../../x', title: 'u', files: [textFile('c.txt', 'c')] });
        assert.equal(badId.status, 400);
        // an update that fails keeps the old file and drops the new upload
        const keep = await update(first.body.id, {
          slug: 'x'.repeat(0),
          'files+': textFile('d.txt', 'd'),
          title: '',
        });
        assert.equal(keep.status, 400);
        assert.deepEqual(
          (await t.blobKeys()).filter((k) => !before.includes(k)),
          [`${docs.id}/${first.body.id}/${first.body.files[0]}`],
        );
      });

      test('deleting a record deletes its files, also through a cascade', async () => {
        const child = await t.createCollection({
          name: `notes_${backend}`,
          listRule: '',
          viewRule: '',
          createRule: '',
          fields: [
            { name: 'doc', type: 'relation', collectionId: docs.id, cascadeDelete: true, maxSelect: 1 },
            { name: 'att', type: 'file', maxSelect: 1 },
          ],
        });
        const d = await create({ title: 'del', files: [textFile('a.txt', 'a')] });
        const n = await t.request('POST', `/api/collections/${child.name}/records`, {
          body: form({ doc: d.body.id, att: textFile('n.txt', 'n') }),
        });
        assert.equal(n.status, 200, JSON.stringify(n.body));
        assert.equal((await t.blobKeys(`${child.id}/${n.body.id}/`)).length, 1);
        const del = await t.request('DELETE', `/api/collections/docs/records/${d.body.id}`);
        assert.equal(del.status, 204);
        assert.deepEqual(await keysOf(d.body.id), []);
        assert.deepEqual(await t.blobKeys(`${child.id}/`), []);
      });

      test('the PocketBase SDK uploads FormData and downloads with files.getURL', async () => {
        const pb = new PocketBase(t.url);
        const fd = new FormData();
        fd.append('title', 'sdk');
        fd.append('files', new Blob(['from the sdk']), 'sdk.txt');
        const rec = await pb.collection('docs').create(fd);
        assert.match(rec.files[0], NAME('sdk', 'txt'));
        const res = await fetch(pb.files.getURL(rec, rec.files[0]));
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'from the sdk');
        // a plain object with File values is sent as multipart by the SDK too
        const updated = await pb
          .collection('docs')
          .update(rec.id, { 'files+': new File(['more'], 'more.txt') });
        assert.equal(updated.files.length, 2);
        assert.equal(await (await fetch(pb.files.getURL(updated, updated.files[1]))).text(), 'more');
      });
    });
  }
}
