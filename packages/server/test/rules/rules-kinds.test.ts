import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { NOT_FOUND, SUPERUSERS_ONLY } from '../support/expect.ts';

// null rules (superusers only), empty rules (anyone) and rules over the signed-in record
// (pb-spec §1.3, §4).

for (const dialect of DIALECTS) {
  describe(`null, empty and auth-record rules (${dialect})`, () => {
    let t: TestApp;
    let verified: TestUser;
    let unverified: TestUser;
    let secretId: string;
    let openId: string;
    let rankId: string;

    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      verified = await createUser(t, 'v@example.com', { verified: true, name: 'Ann', level: 10 });
      unverified = await createUser(t, 'u@example.com', { name: 'Bob', level: 3 });
      await t.createCollection({ name: 'secrets', fields: [{ name: 'title', type: 'text' }] });
      await t.createCollection({
        name: 'open',
        listRule: '',
        viewRule: '',
        createRule: '',
        updateRule: '',
        deleteRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
      await t.createCollection({
        name: 'members',
        listRule: '@request.auth.verified = true',
        viewRule: "@request.auth.collectionName = 'users' && @request.auth.name = 'Ann'",
        createRule: "@request.auth.email = 'v@example.com'",
        fields: [{ name: 'title', type: 'text' }],
      });
      await t.createCollection({
        name: 'ranks',
        listRule: '@request.auth.level > 5 && @request.auth.level >= 9.5 && 10 > 9',
        viewRule: "@request.auth.level = '10' && @request.auth.verified != false",
        fields: [{ name: 'title', type: 'text' }],
      });
      const secret = await t.request('POST', '/api/collections/secrets/records', {
        token: 'superuser',
        body: { title: 's' },
      });
      secretId = secret.body.id;
      const open = await t.request('POST', '/api/collections/open/records', { body: { title: 'o' } });
      assert.equal(open.status, 200);
      openId = open.body.id;
      const member = await t.request('POST', '/api/collections/members/records', {
        token: 'superuser',
        body: { title: 'm' },
      });
      assert.equal(member.status, 200);
      const rank = await t.request('POST', '/api/collections/ranks/records', {
        token: 'superuser',
        body: { title: 'r' },
      });
      assert.equal(rank.status, 200);
      rankId = rank.body.id;
    });
    after(() => t.close());

    test('a null rule answers 403 to everyone but superusers, for every action', async () => {
      for (const token of [undefined, verified.token, unverified.token]) {
        const auth = token ? { token } : {};
        const answers = [
          await t.request('GET', '/api/collections/secrets/records', auth),
          await t.request('GET', `/api/collections/secrets/records/${secretId}`, auth),
          await t.request('GET', '/api/collections/secrets/records/missing', auth),
          await t.request('POST', '/api/collections/secrets/records', { ...auth, body: { title: 'x' } }),
          await t.request('PATCH', `/api/collections/secrets/records/${secretId}`, {
            ...auth,
            body: { title: 'x' },
          }),
          await t.request('DELETE', `/api/collections/secrets/records/${secretId}`, auth),
        ];
        for (const res of answers) {
          assert.equal(res.status, 403);
          assert.deepEqual(res.body, SUPERUSERS_ONLY);
        }
      }
    });

    test('a superuser passes null rules', async () => {
      const list = await t.request('GET', '/api/collections/secrets/records', { token: 'superuser' });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((r: { id: string }) => r.id),
        [secretId],
      );
      const view = await t.request('GET', `/api/collections/secrets/records/${secretId}`, {
        token: 'superuser',
      });
      assert.equal(view.status, 200);
      const created = await t.request('POST', '/api/collections/secrets/records', {
        token: 'superuser',
        body: { title: 'tmp' },
      });
      assert.equal(created.status, 200);
      const patched = await t.request('PATCH', `/api/collections/secrets/records/${created.body.id}`, {
        token: 'superuser',
        body: { title: 'tmp2' },
      });
      assert.equal(patched.status, 200);
      const deleted = await t.request('DELETE', `/api/collections/secrets/records/${created.body.id}`, {
        token: 'superuser',
      });
      assert.equal(deleted.status, 204);
    });

    test('empty rules let anyone list, view, create, update and delete', async () => {
      const list = await t.request('GET', '/api/collections/open/records');
      assert.equal(list.status, 200);
      assert.ok(list.body.items.some((r: { id: string }) => r.id === openId));
      const created = await t.request('POST', '/api/collections/open/records', { body: { title: 'n' } });
      assert.equal(created.status, 200);
      const patched = await t.request('PATCH', `/api/collections/open/records/${created.body.id}`, {
        token: unverified.token,
        body: { title: 'n2' },
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.title, 'n2');
      const view = await t.request('GET', `/api/collections/open/records/${created.body.id}`);
      assert.equal(view.body.title, 'n2');
      const deleted = await t.request('DELETE', `/api/collections/open/records/${created.body.id}`);
      assert.equal(deleted.status, 204);
      const missing = await t.request('DELETE', `/api/collections/open/records/${created.body.id}`);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, NOT_FOUND);
    });

    test('@request.auth.verified narrows a list to verified users', async () => {
      const count = async (token?: string) => {
        const res = await t.request('GET', '/api/collections/members/records', token ? { token } : {});
        assert.equal(res.status, 200);
        return res.body.items.length;
      };
      assert.equal(await count(verified.token), 1);
      assert.equal(await count(unverified.token), 0);
      assert.equal(await count(undefined), 0);
      assert.equal(await count('superuser'), 1);
    });

    test('numbers from the signed-in record compare as numbers', async () => {
      for (const [token, visible] of [
        [verified.token, true],
        [unverified.token, false],
        [undefined, false],
      ] as const) {
        const list = await t.request('GET', '/api/collections/ranks/records', token ? { token } : {});
        assert.equal(list.status, 200, JSON.stringify(list.body));
        assert.deepEqual(
          list.body.items.map((r: { id: string }) => r.id),
          visible ? [rankId] : [],
        );
        const view = await t.request(
          'GET',
          `/api/collections/ranks/records/${rankId}`,
          token ? { token } : {},
        );
        assert.equal(view.status, visible ? 200 : 404);
      }
    });

    test('rules read custom fields and the collection of the signed-in record', async () => {
      const list = await t.request('GET', '/api/collections/members/records', { token: 'superuser' });
      const id = list.body.items[0].id;
      const view = (token?: string) =>
        t.request('GET', `/api/collections/members/records/${id}`, token ? { token } : {});
      assert.equal((await view(verified.token)).status, 200);
      assert.equal((await view(unverified.token)).status, 404);
      assert.equal((await view()).status, 404);
    });

    test('@request.auth.email works in a rule even when the email is not public', async () => {
      const post = (token?: string) =>
        t.request('POST', '/api/collections/members/records', {
          ...(token ? { token } : {}),
          body: { title: 'by rule' },
        });
      assert.equal((await post(verified.token)).status, 200);
      const denied = await post(unverified.token);
      assert.equal(denied.status, 400);
      assert.deepEqual(denied.body, { data: {}, message: 'Failed to create record.', status: 400 });
      assert.equal((await post()).status, 400);
    });

    test('a record of another auth collection does not satisfy a users rule', async () => {
      await t.createCollection({
        name: 'staff',
        type: 'auth',
        fields: [{ name: 'name', type: 'text' }],
      });
      const created = await t.request('POST', '/api/collections/staff/records', {
        token: 'superuser',
        body: {
          email: 'ann@staff.test',
          password: 'staff-pass-123',
          passwordConfirm: 'staff-pass-123',
          name: 'Ann',
        },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const auth = await t.request('POST', '/api/collections/staff/auth-with-password', {
        body: { identity: 'ann@staff.test', password: 'staff-pass-123' },
      });
      assert.equal(auth.status, 200);
      const list = await t.request('GET', '/api/collections/members/records', { token: 'superuser' });
      const res = await t.request('GET', `/api/collections/members/records/${list.body.items[0].id}`, {
        token: auth.body.token,
      });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, NOT_FOUND);
    });
  });
}
