import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';
import { assertInvalid } from '../support/expect.ts';

const MISMATCH = { code: 'validation_values_mismatch', message: "Values don't match." };

// PocketBase: `verified` and a direct `email` change need manage access (here: superusers)
for (const dialect of DIALECTS) {
  describe(`auth records: managed fields (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
    });
    after(() => t.close());

    const signUp = (body: Record<string, unknown>) =>
      t.request('POST', '/api/collections/users/records', {
        body: { password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, ...body },
      });

    test('signing up cannot mark the record verified', async () => {
      assertInvalid(await signUp({ email: 'v@example.com', verified: true }), { verified: MISMATCH });
      const ok = await signUp({ email: 'v@example.com', verified: false });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.verified, false);
    });

    test('a user may not verify itself or change its email directly; a superuser may', async () => {
      const u = await createUser(t, 'self@example.com');
      const path = `/api/collections/users/records/${u.id}`;
      assertInvalid(
        await t.request('PATCH', path, { token: u.token, body: { verified: true } }),
        { verified: MISMATCH },
        'Failed to update record.',
      );
      assertInvalid(
        await t.request('PATCH', path, { token: u.token, body: { email: 'new@example.com' } }),
        { email: MISMATCH },
        'Failed to update record.',
      );
      const own = await t.request('PATCH', path, { token: u.token, body: { name: 'Self' } });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      const su = await t.request('PATCH', path, {
        token: 'superuser',
        body: { verified: true, email: 'new@example.com' },
      });
      assert.equal(su.status, 200, JSON.stringify(su.body));
      assert.deepEqual([su.body.verified, su.body.email], [true, 'new@example.com']);
    });
  });
}
