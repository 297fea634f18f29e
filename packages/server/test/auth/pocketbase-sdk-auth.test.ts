import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { otpFromMail, type SmtpCatcher, startSmtpCatcher, tokenFromMail } from '../support/smtp.ts';

/** A fresh SDK client with no auto-cancellation. */
function client(url: string): PocketBase {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  return pb;
}

// The official PocketBase JS SDK drives the whole auth life cycle unchanged
for (const dialect of DIALECTS) {
  describe(`PocketBase JS SDK auth (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    before(async () => {
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect, smtp.config);
      const users = await t.createCollection({
        name: 'users',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        authRule: 'verified = true',
        otp: { enabled: true },
        fields: [{ name: 'name', type: 'text' }],
      });
      await t.createCollection({
        name: 'notes',
        type: 'base',
        // only a verified owner may read a note
        viewRule: 'owner = @request.auth.id && @request.auth.verified = true',
        fields: [
          { name: 'text', type: 'text' },
          { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
        ],
      });
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    test('sign up, verify, password and OTP sign-in, refresh, reset, then read a protected record', async () => {
      const pb = client(t.url);
      const users = pb.collection('users');
      const email = 'sdk-user@example.com';
      const methods = await users.listAuthMethods();
      assert.deepEqual(methods.password, { identityFields: ['email'], enabled: true });
      assert.equal(methods.otp.enabled, true);

      const created = await users.create({
        email,
        password: 'first-pass-123',
        passwordConfirm: 'first-pass-123',
        name: 'S',
      });
      assert.equal(created.verified, false);
      // authRule: an unverified record may not sign in yet
      const denied = await users.authWithPassword(email, 'first-pass-123').catch((e: unknown) => e);
      assert.ok(denied instanceof ClientResponseError);
      assert.equal(denied.status, 403);

      assert.equal(await users.requestVerification(email), true);
      const verifyToken = tokenFromMail(await smtp.waitForMail(email), 'confirm-verification');
      assert.equal(await users.confirmVerification(verifyToken), true);

      const auth = await users.authWithPassword(email, 'first-pass-123');
      assert.equal(auth.record.id, created.id);
      assert.equal(auth.record.verified, true);
      assert.equal(pb.authStore.isValid, true);

      const note = await t.request('POST', '/api/collections/notes/records', {
        token: 'superuser',
        body: { text: 'secret', owner: created.id },
      });
      assert.equal(note.status, 200, JSON.stringify(note.body));

      const otp = await users.requestOTP(email);
      const code = otpFromMail(await smtp.waitForMail(email));
      const viaOtp = await users.authWithOTP(otp.otpId, code);
      assert.equal(viaOtp.record.id, created.id);

      const refreshed = await users.authRefresh();
      assert.equal(refreshed.record.id, created.id);
      assert.equal(pb.authStore.token, refreshed.token);
      const oldToken = refreshed.token;

      assert.equal(await users.requestPasswordReset(email), true);
      const resetToken = tokenFromMail(await smtp.waitForMail(email), 'confirm-password-reset');
      assert.equal(await users.confirmPasswordReset(resetToken, 'second-pass-123', 'second-pass-123'), true);

      // the old token is dead after the reset
      const stale = await users.authRefresh().catch((e: unknown) => e);
      assert.ok(stale instanceof ClientResponseError);
      assert.equal(stale.status, 401);
      assert.notEqual(oldToken, '');

      const fresh = client(t.url);
      await fresh.collection('users').authWithPassword(email, 'second-pass-123');
      const read = await fresh.collection('notes').getOne(note.body.id);
      assert.equal(read.text, 'secret');
      // without the token the same record is hidden
      const anon = await client(t.url)
        .collection('notes')
        .getOne(note.body.id)
        .catch((e: unknown) => e);
      assert.ok(anon instanceof ClientResponseError);
      assert.equal(anon.status, 404);
    });

    test('impersonate gives a client signed in as the record', async () => {
      const su = client(t.url);
      await su.collection('_superusers').authWithPassword('root@example.com', 'root-password-123');
      const rec = await su.collection('users').create({
        email: 'imp-sdk@example.com',
        password: 'imp-pass-1234',
        passwordConfirm: 'imp-pass-1234',
        verified: true,
      });
      const as = await su.collection('users').impersonate(rec.id, 60);
      assert.equal(as.authStore.record?.id, rec.id);
      const me = await as.collection('users').getOne(rec.id);
      assert.equal(me.email, 'imp-sdk@example.com');
    });
  });
}
