import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';

const LIMITED = {
  status: 429,
  message: 'Too many failed sign-in attempts, please try again later.',
  data: {},
};

// failed sign-ins are limited per identity and per client IP (sliding window)
for (const dialect of DIALECTS) {
  describe(`sign-in limits (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { authFailLimitIdentity: 3, authFailLimitIp: 8 });
      await createUsersCollection(t);
      for (const name of ['a', 'b', 'c']) {
        const res = await t.request('POST', '/api/collections/users/records', {
          body: { email: `${name}@example.com`, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    });
    after(() => t.close());

    const signIn = (identity: string, password: string) =>
      t.request('POST', '/api/collections/users/auth-with-password', { body: { identity, password } });

    test('per identity, then per IP; a success clears the identity count', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await signIn('a@example.com', 'wrong-password')).status, 400);
      // limited even with the right password
      const limited = await signIn('a@example.com', USER_PASSWORD);
      assert.deepEqual(limited.body, LIMITED);
      assert.equal(limited.status, 429);
      // identities are case-insensitive for the count
      assert.deepEqual((await signIn('A@EXAMPLE.COM', USER_PASSWORD)).body, LIMITED);
      // another identity is not affected; its successes reset its own count
      for (let i = 0; i < 2; i++) assert.equal((await signIn('b@example.com', 'wrong-password')).status, 400);
      assert.equal((await signIn('b@example.com', USER_PASSWORD)).status, 200);
      for (let i = 0; i < 2; i++) assert.equal((await signIn('b@example.com', 'wrong-password')).status, 400);
      assert.equal((await signIn('b@example.com', USER_PASSWORD)).status, 200);
      // 7 failures from this IP so far; the 8th reaches the IP limit
      assert.equal((await signIn('c@example.com', 'wrong-password')).status, 400);
      assert.deepEqual((await signIn('c@example.com', USER_PASSWORD)).body, LIMITED);
      assert.deepEqual((await signIn('nobody@example.com', 'x')).body, LIMITED);
      // the IP limit covers OTP sign-in too
      const patched = await t.request('PATCH', '/api/collections/users', {
        token: 'superuser',
        body: { otp: { enabled: true } },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const otp = await t.request('POST', '/api/collections/users/request-otp', {
        body: { email: 'c@example.com' },
      });
      assert.equal(otp.status, 200);
      const viaOtp = await t.request('POST', '/api/collections/users/auth-with-otp', {
        body: { otpId: otp.body.otpId, password: '12345678' },
      });
      assert.deepEqual(viaOtp.body, LIMITED);
    });
  });
}
