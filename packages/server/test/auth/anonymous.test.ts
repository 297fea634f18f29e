import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANONYMOUS_PER_IP } from '../../src/auth/anonymous.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';

// ForgeBase's anonymous sign-in (Supabase-like) and the upgrade to a regular record
for (const dialect of DIALECTS) {
  describe(`anonymous sign-in (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      const guests = await t.createCollection({
        name: 'guests',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        // anonymous records have no email: the field is optional
        fields: [
          { name: 'email', type: 'email', required: false },
          { name: 'nick', type: 'text' },
        ],
        anonymousAuth: { enabled: true },
      });
      // what an anonymous record owns stays its own after the upgrade
      await t.createCollection({
        name: 'carts',
        type: 'base',
        listRule: 'owner = @request.auth.id',
        createRule: 'owner = @request.auth.id',
        fields: [{ name: 'owner', type: 'relation', collectionId: guests.id, maxSelect: 1 }],
      });
      await t.createCollection({
        name: 'closed',
        type: 'auth',
        createRule: null,
        fields: [{ name: 'email', type: 'email', required: false }],
        anonymousAuth: { enabled: true },
      });
      await t.createCollection({
        name: 'required',
        type: 'auth',
        createRule: '',
        anonymousAuth: { enabled: true },
      });
      await t.createCollection({ name: 'members', type: 'auth', createRule: '' });
    });
    after(() => t.close());

    const post = (c: string, path: string, body: unknown, token?: string) =>
      t.request('POST', `/api/collections/${c}/${path}`, { body, ...(token ? { token } : {}) });

    test('an anonymous record gets a token, owns data, and upgrades keeping its id', async () => {
      const anon = await post('guests', 'auth-anonymously', {
        data: { nick: 'Anon', email: 'x@example.com' },
      });
      assert.equal(anon.status, 200, JSON.stringify(anon.body));
      const id = anon.body.record.id as string;
      assert.equal(anon.body.record.email, '');
      assert.equal(anon.body.record.nick, 'Anon');
      assert.equal(anon.body.record.verified, false);
      const cart = await t.request('POST', '/api/collections/carts/records', {
        token: anon.body.token,
        body: { owner: id },
      });
      assert.equal(cart.status, 200, JSON.stringify(cart.body));
      // refresh works like any auth token
      const refreshed = await post('guests', 'auth-refresh', {}, anon.body.token);
      assert.equal(refreshed.status, 200);

      const up = await post(
        'guests',
        'upgrade-anonymous',
        { email: 'kept@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
        anon.body.token,
      );
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.equal(up.body.record.id, id);
      assert.equal(up.body.record.email, 'kept@example.com');
      // the password change signs out the anonymous token
      assert.equal((await post('guests', 'auth-refresh', {}, anon.body.token)).status, 401);
      const login = await post('guests', 'auth-with-password', {
        identity: 'kept@example.com',
        password: USER_PASSWORD,
      });
      assert.equal(login.status, 200);
      assert.equal(login.body.record.id, id);
      const carts = await t.request('GET', '/api/collections/carts/records', { token: login.body.token });
      assert.deepEqual(
        carts.body.items.map((r: { id: string }) => r.id),
        [cart.body.id],
      );
      // upgraded once: no longer anonymous
      const again = await post(
        'guests',
        'upgrade-anonymous',
        { email: 'other@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
        login.body.token,
      );
      assert.deepEqual(again.body, {
        status: 400,
        message: 'The signed-in record is not anonymous.',
        data: {},
      });
    });

    test('upgrade validates the email and password, and a taken email is refused', async () => {
      await t.request('POST', '/api/collections/guests/records', {
        body: { email: 'taken@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
      });
      const anon = await post('guests', 'auth-anonymously', {});
      const bad = await post(
        'guests',
        'upgrade-anonymous',
        { email: 'nope', password: 'x' },
        anon.body.token,
      );
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.data).sort(), ['email', 'passwordConfirm']);
      const mismatch = await post(
        'guests',
        'upgrade-anonymous',
        { email: 'fresh@example.com', password: USER_PASSWORD, passwordConfirm: 'other-password-1' },
        anon.body.token,
      );
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.body.data.passwordConfirm.code, 'validation_values_mismatch');
      const taken = await post(
        'guests',
        'upgrade-anonymous',
        { email: 'taken@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
        anon.body.token,
      );
      assert.equal(taken.status, 400);
      assert.equal(taken.body.data.email.code, 'validation_not_unique');
      assert.equal((await post('guests', 'upgrade-anonymous', {})).status, 401);
    });

    test('disabled collections and the createRule refuse anonymous sign-in', async () => {
      const off = await post('members', 'auth-anonymously', {});
      assert.deepEqual(off.body, {
        status: 403,
        message: 'The collection is not configured to allow anonymous authentication.',
        data: {},
      });
      const closed = await post('closed', 'auth-anonymously', {});
      assert.equal(closed.status, 403);
      assert.equal(closed.body.message, 'Only superusers can perform this action.');
      const required = await post('required', 'auth-anonymously', {});
      assert.deepEqual(required.body, {
        status: 400,
        message: 'Anonymous sign-in needs the email field of the collection to be optional.',
        data: {},
      });
      const col = await t.request('GET', '/api/collections/members', { token: 'superuser' });
      assert.deepEqual(col.body.anonymousAuth, { enabled: false });
    });

    test('a client IP gets a bounded number of anonymous sign-ins', async () => {
      // the earlier tests of this file already used a few from this IP
      let status = 200;
      let n = 0;
      for (; n <= ANONYMOUS_PER_IP && status === 200; n++)
        status = (await post('guests', 'auth-anonymously', {})).status;
      assert.equal(status, 429);
      assert.ok(n <= ANONYMOUS_PER_IP, String(n));
      const res = await post('guests', 'auth-anonymously', {});
      assert.deepEqual(res.body, {
        status: 429,
        message: 'Too many anonymous sign-ins, please try again later.',
        data: {},
      });
    });
  });
}
