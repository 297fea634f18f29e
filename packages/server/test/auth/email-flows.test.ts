import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';
import { assertInvalid, REQUIRED } from '../support/expect.ts';
import { type SmtpCatcher, startSmtpCatcher, tokenFromMail } from '../support/smtp.ts';

const VALIDATION = 'An error occurred while validating the submitted data.';
const INVALID_TOKEN = { code: 'validation_invalid_token', message: 'Invalid or expired token.' };

// PocketBase's mailed-token flows, followed through a real SMTP peer
for (const dialect of DIALECTS) {
  describe(`auth email flows (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    before(async () => {
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect, { ...smtp.config, appName: 'Acme', appUrl: 'https://acme.test' });
      await createUsersCollection(t);
      await t.createCollection({ name: 'others', type: 'auth' });
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    const post = (path: string, body: unknown, token?: string) =>
      t.request('POST', `/api/collections/users/${path}`, { body, ...(token ? { token } : {}) });
    const signIn = (identity: string, password = USER_PASSWORD) =>
      post('auth-with-password', { identity, password });

    test('auth-methods answers PocketBase shape', async () => {
      const res = await t.request('GET', '/api/collections/users/auth-methods');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        password: { identityFields: ['email'], enabled: true },
        oauth2: { providers: [], enabled: false },
        mfa: { enabled: false, duration: 0 },
        otp: { enabled: false, duration: 0 },
        authProviders: [],
        usernamePassword: false,
        emailPassword: true,
      });
      const missing = await t.request('GET', '/api/collections/nope/auth-methods');
      assert.deepEqual(missing.body, {
        status: 404,
        message: 'Missing or invalid auth collection context.',
        data: {},
      });
    });

    test('verification: the mailed token verifies the record once, and nothing else', async () => {
      const u = await createUser(t, 'verify@example.com');
      const req = await post('request-verification', { email: u.email });
      assert.equal(req.status, 204);
      const mail = await smtp.waitForMail(u.email);
      assert.equal(mail.subject, 'Verify your Acme email');
      assert.match(mail.text, /https:\/\/acme\.test\/_\/#\/auth\/confirm-verification\//);
      const token = tokenFromMail(mail, 'confirm-verification');
      // a verification token is no auth token
      const asAuth = await t.request('POST', '/api/collections/users/auth-refresh', { token });
      assert.equal(asAuth.status, 401);
      // nor a password reset token
      assertInvalid(
        await post('confirm-password-reset', {
          token,
          password: 'new-pass-1234',
          passwordConfirm: 'new-pass-1234',
        }),
        { token: INVALID_TOKEN },
        VALIDATION,
      );
      // and an auth token is neither a verification nor a reset token
      assertInvalid(
        await post('confirm-verification', { token: u.token }),
        { token: { code: 'validation_invalid_token_claims', message: 'Missing email token claim.' } },
        VALIDATION,
      );
      assertInvalid(
        await post('confirm-password-reset', {
          token: u.token,
          password: 'new-pass-1234',
          passwordConfirm: 'new-pass-1234',
        }),
        { token: INVALID_TOKEN },
        VALIDATION,
      );
      // a token of another collection is refused at this one's route
      const foreign = await t.request('POST', '/api/collections/others/confirm-verification', {
        body: { token },
      });
      assertInvalid(
        foreign,
        {
          token: {
            code: 'validation_token_collection_mismatch',
            message: 'The provided token is for different auth collection.',
          },
        },
        VALIDATION,
      );
      const ok = await post('confirm-verification', { token });
      assert.equal(ok.status, 204, JSON.stringify(ok.body));
      const view = await t.request('GET', `/api/collections/users/records/${u.id}`, { token: u.token });
      assert.equal(view.body.verified, true);
      // a tampered token fails
      const [h, p, s] = token.split('.');
      const tampered = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
      assertInvalid(
        await post('confirm-verification', { token: tampered }),
        { token: INVALID_TOKEN },
        VALIDATION,
      );
    });

    test('request endpoints answer 204 for unknown emails and send nothing', async () => {
      for (const path of ['request-verification', 'request-password-reset']) {
        const res = await post(path, { email: 'nobody@example.com' });
        assert.equal(res.status, 204);
      }
      await assert.rejects(smtp.waitForMail('nobody@example.com', 200));
      assertInvalid(await post('request-verification', {}), { email: REQUIRED }, VALIDATION);
      assertInvalid(
        await post('request-password-reset', { email: 'not-an-email' }),
        { email: { code: 'validation_is_email', message: 'Must be a valid email address.' } },
        VALIDATION,
      );
    });

    test('password reset: new password works, old password and old tokens fail', async () => {
      const u = await createUser(t, 'reset@example.com');
      assert.equal((await post('request-password-reset', { email: u.email })).status, 204);
      const mail = await smtp.waitForMail(u.email);
      assert.equal(mail.subject, 'Reset your Acme password');
      const token = tokenFromMail(mail, 'confirm-password-reset');
      assertInvalid(
        await post('confirm-password-reset', {
          token,
          password: 'new-pass-1234',
          passwordConfirm: 'other-1234',
        }),
        { passwordConfirm: { code: 'validation_values_mismatch', message: "Values don't match." } },
        VALIDATION,
      );
      const ok = await post('confirm-password-reset', {
        token,
        password: 'new-pass-1234',
        passwordConfirm: 'new-pass-1234',
      });
      assert.equal(ok.status, 204, JSON.stringify(ok.body));
      // the old auth token no longer works (tokenKey rotated)
      const old = await t.request('POST', '/api/collections/users/auth-refresh', { token: u.token });
      assert.equal(old.status, 401);
      assert.equal((await signIn(u.email)).status, 400);
      const fresh = await signIn(u.email, 'new-pass-1234');
      assert.equal(fresh.status, 200);
      // the reset proved the mailbox: the record is verified now
      assert.equal(fresh.body.record.verified, true);
      // the token is spent: the new tokenKey no longer verifies it
      assertInvalid(
        await post('confirm-password-reset', {
          token,
          password: 'again-1234',
          passwordConfirm: 'again-1234',
        }),
        { token: INVALID_TOKEN },
        VALIDATION,
      );
    });

    test('email change: mailed to the new address, needs the password, signs out old tokens', async () => {
      const u = await createUser(t, 'change@example.com');
      const other = await createUser(t, 'taken@example.com');
      assert.equal((await post('request-email-change', { newEmail: 'x@example.com' })).status, 401);
      // a token of another auth collection is refused with PocketBase's 403
      const su = await t.request('POST', '/api/collections/users/request-email-change', {
        token: 'superuser',
        body: { newEmail: 'x@example.com' },
      });
      assert.deepEqual(su.body, {
        status: 403,
        message: 'The request requires auth record from _superusers collection.',
        data: {},
      });
      assertInvalid(
        await post('request-email-change', { newEmail: other.email }, u.token),
        { newEmail: { code: 'validation_invalid_new_email', message: 'Invalid new email address.' } },
        VALIDATION,
      );
      const req = await post('request-email-change', { newEmail: 'changed@example.com' }, u.token);
      assert.equal(req.status, 204, JSON.stringify(req.body));
      const mail = await smtp.waitForMail('changed@example.com');
      assert.equal(mail.subject, 'Confirm your Acme new email address');
      const token = tokenFromMail(mail, 'confirm-email-change');
      assertInvalid(
        await post('confirm-email-change', { token, password: 'wrong-password' }),
        {
          password: {
            code: 'validation_invalid_password',
            message: 'Missing or invalid auth record password.',
          },
        },
        VALIDATION,
      );
      const ok = await post('confirm-email-change', { token, password: USER_PASSWORD });
      assert.equal(ok.status, 204, JSON.stringify(ok.body));
      const res = await signIn('changed@example.com');
      assert.equal(res.status, 200);
      assert.equal(res.body.record.email, 'changed@example.com');
      assert.equal(res.body.record.verified, true);
      const old = await t.request('POST', '/api/collections/users/auth-refresh', { token: u.token });
      assert.equal(old.status, 401);
    });

    test('tampered, unsigned and expired auth tokens are refused', async () => {
      const a = await createUser(t, 'tamper-a@example.com');
      const b = await createUser(t, 'tamper-b@example.com');
      const [h, p, sig] = a.token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const refresh = (token: string) => t.request('POST', '/api/collections/users/auth-refresh', { token });
      // another record's id under A's signature
      assert.equal((await refresh(`${h}.${enc({ ...claims, id: b.id })}.${sig}`)).status, 401);
      // alg "none"
      const none = `${enc({ alg: 'none', typ: 'JWT' })}.${p}.`;
      assert.equal((await refresh(none)).status, 401);
      // a longer life under the old signature
      assert.equal((await refresh(`${h}.${enc({ ...claims, exp: claims.exp + 3600 })}.${sig}`)).status, 401);
      // properly signed but expired
      const c = t.app.collections.get('users');
      const rec = await t.app.records.findById(c, a.id);
      const key = new TextEncoder().encode(`${String(rec?.tokenKey)}${c.authToken?.secret}`);
      const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(key);
      assert.equal((await refresh(expired)).status, 401);
      const fresh = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(key);
      assert.equal((await refresh(fresh)).status, 200);
      // the untouched token still works, so the checks above can fail
      assert.equal((await refresh(a.token)).status, 200);
    });

    test('impersonate: superusers only; a static token that refresh does not renew', async () => {
      const u = await createUser(t, 'imp@example.com');
      const path = `/api/collections/users/impersonate/${u.id}`;
      assert.equal((await t.request('POST', path, { body: {} })).status, 401);
      assert.equal((await t.request('POST', path, { body: {}, token: u.token })).status, 403);
      const res = await t.request('POST', path, { body: { duration: 100 }, token: 'superuser' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.record.id, u.id);
      const claims = JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString());
      assert.equal(claims.refreshable, false);
      assert.ok(claims.exp - Math.floor(Date.now() / 1000) <= 100);
      const refreshed = await t.request('POST', '/api/collections/users/auth-refresh', {
        token: res.body.token,
      });
      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.body.token, res.body.token);
      const bad = await t.request('POST', path, { body: { duration: -1 }, token: 'superuser' });
      assert.equal(bad.status, 400);
      const none = await t.request('POST', '/api/collections/users/impersonate/missing', {
        body: {},
        token: 'superuser',
      });
      assert.equal(none.status, 404);
    });
  });
}
