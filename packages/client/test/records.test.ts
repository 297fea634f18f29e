import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientError, type ForgeBase } from '../src/index.ts';
import { client, DIALECTS, startTestApp, type TestApp } from './support/server.ts';

for (const dialect of DIALECTS) {
  describe(`client records (${dialect})`, () => {
    let t: TestApp;
    let fb: ForgeBase;
    before(async () => {
      t = await startTestApp(dialect);
      fb = client(t.url, t.superuserToken);
      await t.createCollection({
        name: 'todos',
        type: 'base',
        listRule: '',
        // a protected file needs a file token of a viewer the viewRule lets in
        viewRule: "@request.auth.id != ''",
        createRule: '',
        updateRule: '',
        deleteRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'rank', type: 'number' },
          { name: 'status', type: 'select', values: ['open', 'done'], maxSelect: 1 },
          { name: 'attachment', type: 'file', maxSelect: 1, maxSize: 1_000_000, thumbs: ['10x10'] },
          { name: 'secret', type: 'file', maxSelect: 1, protected: true },
        ],
      });
    });
    after(() => t.close());

    test('create, getOne, update, delete round-trip with expand-free options', async () => {
      const todos = fb.collection('todos');
      const a = await todos.create({ title: 'write', rank: 2, status: 'open' });
      assert.equal(a.title, 'write');
      assert.equal(a.collectionName, 'todos');
      assert.deepEqual(await todos.getOne(a.id, { fields: 'id,title' }), { id: a.id, title: 'write' });
      const b = await todos.update(a.id, { status: 'done', 'rank+': 3 });
      assert.equal(b.status, 'done');
      assert.equal(b.rank, 5);
      await todos.delete(a.id);
      const e = await todos.getOne(a.id).catch((x: unknown) => x);
      assert.ok(e instanceof ClientError);
      assert.equal(e.status, 404);
      assert.equal(e.code, 'not_found');
    });

    test('list takes page, perPage, sort, filter and skipTotal; getFullList pages through all', async () => {
      const todos = fb.collection('todos');
      for (let i = 1; i <= 7; i++)
        await todos.create({ title: `t${i}`, rank: i, status: i % 2 ? 'open' : 'done' });
      const page = await todos.getList(2, 2, {
        sort: '-rank',
        filter: fb.filter('title ~ {:p}', { p: 't' }),
      });
      assert.deepEqual(
        page.items.map((r) => r.rank),
        [5, 4],
      );
      assert.equal(page.totalItems, 7);
      assert.equal(page.totalPages, 4);
      const skip = await todos.list({ perPage: 1, skipTotal: true });
      assert.equal(skip.totalItems, -1);
      const all = await todos.getFullList({ batch: 3, sort: 'rank', filter: "status = 'open'" });
      assert.deepEqual(
        all.map((r) => r.rank),
        [1, 3, 5, 7],
      );
      const first = await todos.getFirst(fb.filter('rank = {:r}', { r: 6 }));
      assert.equal(first.title, 't6');
      const none = await todos.getFirst('rank = 999').catch((x: unknown) => x);
      assert.ok(none instanceof ClientError && none.status === 404);
    });

    test('the filter builder keeps quotes in values from changing the filter', async () => {
      const todos = fb.collection('todos');
      await todos.create({ title: "it's" });
      const hostile = "x' || title != '";
      assert.equal((await todos.list({ filter: fb.filter('title = {:t}', { t: hostile }) })).items.length, 0);
      assert.equal((await todos.list({ filter: fb.filter('title = {:t}', { t: "it's" }) })).items.length, 1);
      assert.throws(() => fb.filter('title = {:missing}', {}), /no value/);
    });

    test('validation errors are ClientErrors with the server body and field codes', async () => {
      const e = await fb
        .collection('todos')
        .create({ rank: 1 })
        .catch((x: unknown) => x);
      assert.ok(e instanceof ClientError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'bad_request');
      assert.equal(e.fieldCode('title'), 'validation_required');
      assert.deepEqual(Object.keys(e.toJSON()), ['status', 'message', 'data']);
    });

    test('batch commits all writes together, or none with the failing request named', async () => {
      const todos = fb.collection('todos');
      const x = await todos.create({ title: 'batch-target' });
      const b = fb.batch();
      b.collection('todos').create({ title: 'batch-1' });
      b.collection('todos').update(x.id, { title: 'batch-updated' });
      const res = await b.send();
      assert.deepEqual(
        res.map((r) => r.status),
        [200, 200],
      );
      assert.equal((await todos.getOne(x.id)).title, 'batch-updated');
      const bad = fb.batch();
      bad.collection('todos').create({ title: 'never' });
      bad.collection('todos').create({});
      const e = await bad.send().catch((z: unknown) => z);
      assert.ok(e instanceof ClientError && e.status === 400);
      assert.ok('requests' in e.data);
      assert.equal((await todos.list({ filter: "title = 'never'" })).totalItems, 0);
    });

    test('files upload from Blobs, with URLs, thumbs and tokens for protected files', async () => {
      const todos = fb.collection('todos');
      const png = await fetch(
        'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      ).then((r) => r.blob());
      const r = await todos.create({
        title: 'with file',
        attachment: new File([png], 'dot.png', { type: 'image/png' }),
        secret: new File(['top secret'], 'note.txt', { type: 'text/plain' }),
      });
      assert.match(r.attachment, /^dot_\w+\.png$/);
      const url = fb.files.getURL(r, r.attachment, { thumb: '10x10' });
      assert.ok(url.startsWith(`${t.url}/api/files/${r.collectionId}/${r.id}/`));
      assert.match(url, /\?thumb=10x10$/);
      const got = await fetch(url);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'image/png');
      const hidden = await fetch(fb.files.getURL(r, r.secret));
      assert.equal(hidden.status, 404);
      const token = await fb.files.getToken();
      const shown = await fetch(fb.files.getURL(r, r.secret, { token }));
      assert.equal(await shown.text(), 'top secret');
      const form = new FormData();
      form.append('title', 'from form');
      form.append('attachment', new File([png], 'b.png', { type: 'image/png' }));
      assert.match((await todos.create(form)).attachment, /^b\w*_\w+\.png$/);
    });
  });
}
