import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { assertInvalid, REQUIRED } from '../support/expect.ts';

const CANNOT_AUTH = {
  status: 403,
  message: "The request doesn't satisfy the collection requirements to authenticate.",
  data: {},
};
const UPDATE_FAILED = 'Failed to update record.';

// PocketBase's authRule (who may sign in) and manageRule (who may manage other records)
for (const dialect of DIALECTS) {
  describe(`auth rules (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'locked', type: 'auth', authRule: null });
      await t.createCollection({ name: 'checked', type: 'auth', authRule: 'verified = true' });
      await t.createCollection({
        name: 'people',
        type: 'auth',
        fields: [{ name: 'role', type: 'text' }],
        createRule: '',
        listRule: "id = @request.auth.id || @request.auth.role = 'admin'",
        viewRule: "id = @request.auth.id || @request.auth.role = 'admin'",
        updateRule: "id = @request.auth.id || @request.auth.role = 'admin'",
        manageRule: "@request.auth.role = 'admin'",
      });
    });
    after(() => t.close());

    const create = async (c: string, email: string, extra: Record<string, unknown> = {}) => {
      const res = await t.request('POST', `/api/collections/${c}/records`, {
        token: 'superuser',
        body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, ...extra },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const signIn = (c: string, identity: string, password = USER_PASSWORD) =>
      t.request('POST', `/api/collections/${c}/auth-with-password`, { body: { identity, password } });

    test('sign-in and refresh expand relations as the record sees them', async () => {
      const people = await t.request('GET', '/api/collections/people', { token: 'superuser' });
      await t.request('PATCH', '/api/collections/people', {
        token: 'superuser',
        body: {
          fields: [
            ...people.body.fields,
            { name: 'buddy', type: 'relation', collectionId: people.body.id, maxSelect: 1 },
          ],
        },
      });
      const buddy = await create('people', 'buddy@example.com');
      await create('people', 'expander@example.com', { buddy });
      const res = await t.request('POST', '/api/collections/people/auth-with-password?expand=buddy', {
        body: { identity: 'expander@example.com', password: USER_PASSWORD },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      // the viewRule (own record, or admins) hides the buddy from this record: an empty
      // expand, like PocketBase (the relation resolved, nothing visible)
      assert.deepEqual(res.body.record.expand, {});
      const admin = await create('people', 'admin2@example.com', { role: 'admin', buddy });
      const ok = await t.request('POST', '/api/collections/people/auth-with-password?expand=buddy', {
        body: { identity: 'admin2@example.com', password: USER_PASSWORD },
      });
      assert.equal(ok.body.record.id, admin);
      assert.equal(ok.body.record.expand?.buddy?.id, buddy);
      const refreshed = await t.request('POST', '/api/collections/people/auth-refresh?expand=buddy', {
        token: ok.body.token,
      });
      assert.equal(refreshed.body.record.expand?.buddy?.id, buddy);
    });

    test('authRule null lets no record sign in', async () => {
      await create('locked', 'locked@example.com');
      const res = await signIn('locked', 'locked@example.com');
      assert.deepEqual(res.body, CANNOT_AUTH);
      assert.equal(res.status, 403);
    });

    test('authRule is checked for the signing-in record', async () => {
      await create('checked', 'no@example.com');
      await create('checked', 'yes@example.com', { verified: true });
      assert.deepEqual((await signIn('checked', 'no@example.com')).body, CANNOT_AUTH);
      assert.equal((await signIn('checked', 'yes@example.com')).status, 200);
      // a wrong password stays a plain failure (the rule does not leak the account state)
      assert.equal((await signIn('checked', 'no@example.com', 'wrong-password')).status, 400);
    });

    test('manageRule: an admin sets email, verified and password of another record directly', async () => {
      await create('people', 'admin@example.com', { role: 'admin' });
      const id = await create('people', 'member@example.com');
      const admin = (await signIn('people', 'admin@example.com')).body.token;
      const member = (await signIn('people', 'member@example.com')).body.token;
      const res = await t.request('PATCH', `/api/collections/people/records/${id}`, {
        token: admin,
        body: {
          email: 'member2@example.com',
          verified: true,
          password: 'brand-new-123',
          passwordConfirm: 'brand-new-123',
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      // managers see the email whatever its emailVisibility (PocketBase), in field order
      assert.deepEqual([res.body.email, res.body.verified], ['member2@example.com', true]);
      const keys = Object.keys(res.body);
      assert.equal(keys.indexOf('email') + 1, keys.indexOf('emailVisibility'));
      const view = await t.request('GET', `/api/collections/people/records/${id}`, { token: admin });
      assert.equal(view.body.email, 'member2@example.com');
      const list = await t.request('GET', '/api/collections/people/records?perPage=100', { token: admin });
      assert.equal(list.status, 200);
      assert.equal(list.body.items.find((r: { id: string }) => r.id === id)?.email, 'member2@example.com');
      // others do not
      const self = await create('people', 'peer@example.com');
      const peer = (await signIn('people', 'peer@example.com')).body.token;
      const own = await t.request('GET', `/api/collections/people/records/${self}`, { token: peer });
      assert.equal(own.body.email, 'peer@example.com');
      const other = await t.request('GET', `/api/collections/people/records/${id}`, { token: peer });
      assert.equal(other.status, 404);
      // the member's old token and password are gone
      const old = await t.request('POST', '/api/collections/people/auth-refresh', { token: member });
      assert.equal(old.status, 401);
      assert.equal((await signIn('people', 'member2@example.com')).status, 400);
      assert.equal((await signIn('people', 'member2@example.com', 'brand-new-123')).status, 200);
    });

    test('manageRule on create: an admin may create a verified record, others may not', async () => {
      await create('people', 'boss@example.com', { role: 'admin' });
      const admin = (await signIn('people', 'boss@example.com')).body.token;
      const body = (email: string) => ({
        email,
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
        verified: true,
      });
      const ok = await t.request('POST', '/api/collections/people/records', {
        token: admin,
        body: body('made@example.com'),
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.verified, true);
      const mismatch = { code: 'validation_values_mismatch', message: "Values don't match." };
      assertInvalid(
        await t.request('POST', '/api/collections/people/records', { body: body('anon@example.com') }),
        { verified: mismatch },
      );
    });

    test('without manage access: no direct email/verified change, and a new password needs the old one', async () => {
      const id = await create('people', 'self@example.com');
      const token = (await signIn('people', 'self@example.com')).body.token;
      const path = `/api/collections/people/records/${id}`;
      const patch = (body: Record<string, unknown>) => t.request('PATCH', path, { token, body });
      const mismatch = { code: 'validation_values_mismatch', message: "Values don't match." };
      assertInvalid(await patch({ verified: true }), { verified: mismatch }, UPDATE_FAILED);
      assertInvalid(await patch({ email: 'other@example.com' }), { email: mismatch }, UPDATE_FAILED);
      const pw = { password: 'next-pass-123', passwordConfirm: 'next-pass-123' };
      assertInvalid(await patch(pw), { oldPassword: REQUIRED }, UPDATE_FAILED);
      assertInvalid(
        await patch({ ...pw, oldPassword: 'wrong-one-123' }),
        {
          oldPassword: {
            code: 'validation_invalid_old_password',
            message: 'Missing or invalid old password.',
          },
        },
        UPDATE_FAILED,
      );
      const ok = await patch({ ...pw, oldPassword: USER_PASSWORD });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await signIn('people', 'self@example.com', 'next-pass-123')).status, 200);
    });
  });
}
