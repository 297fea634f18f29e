import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_FOUND } from '../support/expect.ts';
import { sdkClient as client, clientError } from '../support/sdk.ts';

// The official PocketBase JS SDK must work against ForgeBase unchanged (ARCHITECTURE.md, HTTP contract).

const TASKS = {
  name: 'tasks',
  type: 'base',
  listRule: '',
  viewRule: '',
  fields: [
    { name: 'title', type: 'text', required: true, max: 50 },
    { name: 'votes', type: 'number', onlyInt: true },
    { name: 'done', type: 'bool' },
  ],
};

for (const dialect of DIALECTS) {
  describe(`PocketBase JS SDK (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      pb = client(t.url);
      await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      await pb.collections.create(TASKS);
    });
    after(() => t.close());

    test('authWithPassword signs a superuser in and fills the auth store', async () => {
      const other = client(t.url);
      const auth = await other
        .collection('_superusers')
        .authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      assert.match(auth.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(auth.record.email, SUPERUSER_EMAIL);
      assert.equal(auth.record.collectionName, '_superusers');
      assert.equal(other.authStore.token, auth.token);
      assert.equal(other.authStore.isValid, true);
      assert.equal(other.authStore.isSuperuser, true);
    });

    test('a wrong password is a 400 ClientResponseError', async () => {
      const err = await clientError(() =>
        client(t.url).collection('_superusers').authWithPassword(SUPERUSER_EMAIL, 'wrong-password'),
      );
      assert.equal(err.status, 400);
      assert.deepEqual(err.response, { data: {}, message: 'Failed to authenticate.', status: 400 });
    });

    test('collections: create, getOne, update and delete', async () => {
      const created = await pb.collections.create({ name: 'scratch', type: 'base', fields: [] });
      assert.equal(created.name, 'scratch');
      assert.match(created.id, /^pbc_\d+$/);
      assert.deepEqual(
        created.fields.map((f) => f.name),
        ['id'],
      );
      assert.deepEqual(await pb.collections.getOne('scratch'), created);
      assert.deepEqual(await pb.collections.getOne(created.id), created);

      const updated = await pb.collections.update(created.id, {
        listRule: '',
        fields: [...created.fields, { name: 'note', type: 'text' }],
      });
      assert.equal(updated.listRule, '');
      assert.deepEqual(
        updated.fields.map((f) => f.name),
        ['id', 'note'],
      );

      assert.equal(await pb.collections.delete('scratch'), true);
      const err = await clientError(() => pb.collections.getOne('scratch'));
      assert.equal(err.status, 404);
      assert.deepEqual(err.response, NOT_FOUND);
    });

    test('collections need a superuser: an anonymous client gets 401', async () => {
      const err = await clientError(() => client(t.url).collections.getOne('tasks'));
      assert.equal(err.status, 401);
      assert.equal(err.response.message, 'The request requires valid record authorization token.');
    });

    test('records: create, getOne, update with a modifier, delete', async () => {
      const tasks = pb.collection('tasks');
      const created = await tasks.create({ title: 'write tests', votes: 2 });
      assert.match(created.id, /^[a-z0-9]{15}$/);
      assert.deepEqual(
        { ...created, id: '' },
        {
          collectionId: created.collectionId,
          collectionName: 'tasks',
          id: '',
          title: 'write tests',
          votes: 2,
          done: false,
        },
      );
      assert.deepEqual(await tasks.getOne(created.id), created);
      assert.deepEqual(await tasks.getOne(created.id, { fields: 'id,title' }), {
        id: created.id,
        title: 'write tests',
      });

      const updated = await tasks.update(created.id, { 'votes+': 3, done: true });
      assert.equal(updated.votes, 5);
      assert.equal(updated.done, true);
      assert.equal(updated.title, 'write tests');

      assert.equal(await tasks.delete(created.id), true);
      const err = await clientError(() => tasks.getOne(created.id));
      assert.equal(err.status, 404);
      assert.deepEqual(err.response, NOT_FOUND);
    });

    test('records: getList pages and sorts, getFullList returns everything', async () => {
      await pb.collections.create({ ...TASKS, name: 'ranked' });
      const ranked = pb.collection('ranked');
      for (const [title, votes] of [
        ['b', 3],
        ['a', 1],
        ['e', 5],
        ['c', 2],
        ['d', 4],
      ] as const) {
        await ranked.create({ title, votes });
      }

      const page1 = await ranked.getList(1, 2, { sort: '-votes' });
      assert.deepEqual(
        { ...page1, items: page1.items.map((r) => r.title) },
        { items: ['e', 'd'], page: 1, perPage: 2, totalItems: 5, totalPages: 3 },
      );
      const page3 = await ranked.getList(3, 2, { sort: '-votes' });
      assert.deepEqual(
        page3.items.map((r) => r.title),
        ['a'],
      );
      const beyond = await ranked.getList(4, 2, { sort: '-votes' });
      assert.deepEqual(beyond.items, []);

      const all = await ranked.getFullList({ sort: 'title', batch: 2 });
      assert.deepEqual(
        all.map((r) => r.title),
        ['a', 'b', 'c', 'd', 'e'],
      );
      const byTwoKeys = await ranked.getFullList({ sort: '-done,+title' });
      assert.equal(byTwoKeys.length, 5);

      // filters, including the SDK's own parameter binding (pb.filter)
      const popular = await ranked.getFullList({ filter: 'votes >= 4', sort: 'title' });
      assert.deepEqual(
        popular.map((r) => r.title),
        ['d', 'e'],
      );
      const c = await ranked.getFirstListItem(pb.filter('title = {:t} && votes > {:v}', { t: 'c', v: 1 }));
      assert.equal(c.title, 'c');
      const injected = await clientError(() =>
        ranked.getFirstListItem(pb.filter('title = {:t}', { t: "c' || votes > 0 || title = '" })),
      );
      assert.equal(injected.status, 404);
    });

    test('a failed validation is a 400 ClientResponseError with per-field data', async () => {
      const err = await clientError(() =>
        pb.collection('tasks').create({ title: 'x'.repeat(51), votes: 1.5 }),
      );
      assert.equal(err.status, 400);
      assert.deepEqual(err.response, {
        data: {
          title: {
            code: 'validation_max_text_constraint',
            message: 'Must be no more than 50 character(s).',
            params: { max: 50 },
          },
          votes: { code: 'validation_only_int_constraint', message: 'Decimal numbers are not allowed.' },
        },
        message: 'Failed to create record.',
        status: 400,
      });

      const created = await pb.collection('tasks').create({ title: 'keep' });
      const upd = await clientError(() => pb.collection('tasks').update(created.id, { title: '' }));
      assert.equal(upd.status, 400);
      assert.deepEqual(upd.response, {
        data: { title: { code: 'validation_required', message: 'Cannot be blank.' } },
        message: 'Failed to update record.',
        status: 400,
      });
    });

    test('an unknown collection is a 404 ClientResponseError', async () => {
      const err = await clientError(() => pb.collection('nope').getList(1, 10));
      assert.equal(err.status, 404);
      assert.deepEqual(err.response, { data: {}, message: 'Missing collection context.', status: 404 });
    });

    test('an anonymous client cannot create when createRule is null (403)', async () => {
      const err = await clientError(() => client(t.url).collection('tasks').create({ title: 'x' }));
      assert.equal(err.status, 403);
      assert.equal(err.response.message, 'Only superusers can perform this action.');
    });

    test('create from a FormData body casts the text fields', async () => {
      const form = new FormData();
      form.append('title', 'from a form');
      form.append('votes', '7');
      form.append('done', 'true');
      const created = await pb.collection('tasks').create(form);
      assert.equal(created.title, 'from a form');
      assert.equal(created.votes, 7);
      assert.equal(created.done, true);
      assert.deepEqual(await pb.collection('tasks').getOne(created.id), created);
    });
  });
}
