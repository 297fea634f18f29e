import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';

async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; data: Record<string, { code: string }> }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ClientResponseError);
    return { status: e.status, data: e.response.data };
  }
  assert.fail('expected the request to fail');
}

const codes = (data: Record<string, { code: string }>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.code]));

for (const dialect of DIALECTS) {
  describe(`auth sign-up validation order (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      pb = new PocketBase(t.url);
      pb.autoCancellation(false);
    });
    after(() => t.close());

    test('a passwordConfirm mismatch is reported alone, before field validation', async () => {
      const bad = { email: 'not-an-email', password: 'short', passwordConfirm: 'different', name: 'x' };
      const res = await failure(pb.collection('users').create(bad));
      assert.equal(res.status, 400);
      assert.deepEqual(codes(res.data), { passwordConfirm: 'validation_values_mismatch' });
    });

    test('missing password fields are reported alone; then the fields are validated', async () => {
      const none = await failure(pb.collection('users').create({ email: 'not-an-email' }));
      assert.deepEqual(codes(none.data), {
        password: 'validation_required',
        passwordConfirm: 'validation_required',
      });
      const matching = await failure(
        pb.collection('users').create({ email: 'not-an-email', password: 'short', passwordConfirm: 'short' }),
      );
      assert.deepEqual(Object.keys(matching.data).sort(), ['email', 'password']);
    });

    test('on update, a new password without oldPassword is a form error, alone', async () => {
      const u = await createUser(t, 'order@example.com');
      const own = new PocketBase(t.url);
      own.authStore.save(u.token);
      const res = await failure(
        own
          .collection('users')
          .update(u.id, { name: 'y'.repeat(10), password: 'new-password-1', passwordConfirm: 'other' }),
      );
      assert.deepEqual(codes(res.data), {
        oldPassword: 'validation_required',
        passwordConfirm: 'validation_values_mismatch',
      });
      const ok = await own.collection('users').update(u.id, {
        password: 'new-password-1',
        passwordConfirm: 'new-password-1',
        oldPassword: USER_PASSWORD,
      });
      assert.equal(ok.id, u.id);
    });
  });
}
