import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';

// PocketBase's @collection: another collection joined once per alias for the whole rule,
// so conditions on one alias must hold on the same row; without `?` a condition must hold
// for every row of that collection.
for (const dialect of DIALECTS) {
  describe(`@collection in rules and filters (${dialect})`, () => {
    let t: TestApp;
    let a: TestUser;
    let b: TestUser;
    before(async () => {
      t = await startTestApp(dialect);
      const users = await createUsersCollection(t);
      a = await createUser(t, 'a@example.com');
      b = await createUser(t, 'b@example.com');
      await t.createCollection({
        name: 'members',
        fields: [
          { name: 'team', type: 'text' },
          { name: 'user', type: 'relation', collectionId: users.id },
        ],
      });
      await t.createCollection({
        name: 'docs',
        listRule: '@collection.members.team ?= team && @collection.members.user ?= @request.auth.id',
        viewRule: '@collection.members:m.team ?= team && @collection.members:m.user ?= @request.auth.id',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'team', type: 'text' },
        ],
      });
      const add = (c: string, body: Record<string, unknown>) =>
        t.request('POST', `/api/collections/${c}/records`, { token: 'superuser', body });
      await add('members', { team: 'red', user: a.id });
      await add('members', { team: 'blue', user: b.id });
      await add('docs', { title: 'red doc', team: 'red' });
      await add('docs', { title: 'blue doc', team: 'blue' });
    });
    after(() => t.close());

    const titles = async (token?: string, filter?: string) => {
      const q = filter ? `&filter=${encodeURIComponent(filter)}` : '';
      const res = await t.request(
        'GET',
        `/api/collections/docs/records?sort=title${q}`,
        token ? { token } : {},
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items.map((i: { title: string }) => i.title);
    };

    test('conditions on one @collection source meet on the same row', async () => {
      assert.deepEqual(await titles(a.token), ['red doc']);
      assert.deepEqual(await titles(b.token), ['blue doc']);
      assert.deepEqual(await titles(), []);
    });

    test('an alias names one join; view rules use it the same way', async () => {
      const docs = await titles('superuser');
      assert.deepEqual(docs, ['blue doc', 'red doc']);
      const list = await t.request('GET', '/api/collections/docs/records?sort=title', { token: 'superuser' });
      const [blue, red] = list.body.items as { id: string }[];
      assert.equal(
        (await t.request('GET', `/api/collections/docs/records/${red!.id}`, { token: a.token })).status,
        200,
      );
      assert.equal(
        (await t.request('GET', `/api/collections/docs/records/${blue!.id}`, { token: a.token })).status,
        404,
      );
    });

    test('without ?, a relation path or modifier from @collection must hold for every row', async () => {
      assert.deepEqual(await titles('superuser', "@collection.members.user.email = 'a@example.com'"), []);
      assert.deepEqual(await titles('superuser', "@collection.members.user.email ?= 'a@example.com'"), [
        'blue doc',
        'red doc',
      ]);
      assert.deepEqual(await titles('superuser', "@collection.members.user.email ~ '@example.com'"), [
        'blue doc',
        'red doc',
      ]);
      assert.deepEqual(await titles('superuser', "@collection.members.team:lower = 'red'"), []);
      assert.deepEqual(await titles('superuser', "@collection.members.user.email:lower != 'c@example.com'"), [
        'blue doc',
        'red doc',
      ]);
    });

    test('without ?, a condition must hold for every row of the collection', async () => {
      assert.deepEqual(await titles('superuser', "@collection.members.team = 'red'"), []);
      assert.deepEqual(await titles('superuser', "@collection.members.team != 'green'"), [
        'blue doc',
        'red doc',
      ]);
      assert.deepEqual(await titles('superuser', "@collection.members.team ?= 'red'"), [
        'blue doc',
        'red doc',
      ]);
      assert.deepEqual(await titles('superuser', '@collection.members.team ?= team'), [
        'blue doc',
        'red doc',
      ]);
    });

    test('an unknown source is a 400, also in a rule being saved', async () => {
      const res = await t.request(
        'GET',
        `/api/collections/docs/records?filter=${encodeURIComponent('@collection.nope.x = 1')}`,
        {
          token: 'superuser',
        },
      );
      assert.equal(res.status, 400);
      const saved = await t.request('PATCH', '/api/collections/docs', {
        token: 'superuser',
        body: { listRule: '@collection.nope.x = 1' },
      });
      assert.equal(saved.status, 400);
      assert.equal(saved.body.data.listRule.code, 'validation_invalid_rule');
    });
  });
}
