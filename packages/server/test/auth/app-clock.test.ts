import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { createManualClock, type ManualClock } from '../support/clock.ts';
import { otpFromMail, type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

const INVALID_OTP = { status: 400, message: 'Invalid or expired OTP.', data: {} };

// Time-based behaviour read from the app's injected clock: moving a manual clock is enough,
// nothing sleeps (with Date.now() inside, none of these would expire in the test's lifetime).
for (const dialect of DIALECTS) {
  describe(`expiry, windows and pruning follow the app clock (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    let clock: ManualClock;
    before(async () => {
      clock = createManualClock();
      smtp = await startSmtpCatcher();
      t = await startTestApp(
        dialect,
        { ...smtp.config, changesRetentionHours: 1, authFailLimitIp: 3, authFailWindowSeconds: 60 },
        { clock },
      );
      await t.createCollection({
        name: 'members',
        type: 'auth',
        otp: { enabled: true, length: 6, duration: 120 },
        authToken: { duration: 60 },
      });
      await t.createCollection({ name: 'notes', fields: [{ name: 'title', type: 'text' }] });
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    const post = (path: string, body: unknown, token?: string) =>
      t.request('POST', `/api/collections/members/${path}`, { body, ...(token ? { token } : {}) });
    const createMember = async (email: string) => {
      const res = await t.request('POST', '/api/collections/members/records', {
        token: 'superuser',
        body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, verified: true },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    const requestCode = async (email: string) => {
      const res = await post('request-otp', { email });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { otpId: res.body.otpId as string, password: otpFromMail(await smtp.waitForMail(email)) };
    };

    test('an OTP works until its duration has passed on the clock, then fails', async () => {
      await createMember('otp-clock@example.com');
      const early = await requestCode('otp-clock@example.com');
      await clock.advance(119_000);
      assert.equal((await post('auth-with-otp', early)).status, 200);
      const late = await requestCode('otp-clock@example.com');
      await clock.advance(121_000);
      assert.deepEqual((await post('auth-with-otp', late)).body, INVALID_OTP);
    });

    test('an auth token stops verifying once its duration has passed on the clock', async () => {
      await createMember('token-clock@example.com');
      const signIn = await post('auth-with-password', {
        identity: 'token-clock@example.com',
        password: USER_PASSWORD,
      });
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
      const token: string = signIn.body.token;
      await clock.advance(59_000);
      assert.equal((await post('auth-refresh', {}, token)).status, 200);
      await clock.advance(2_000);
      assert.equal((await post('auth-refresh', {}, token)).status, 401);
    });

    test('failed sign-ins count within a window of the clock', async () => {
      const fail = () =>
        post('auth-with-password', { identity: 'nobody@example.com', password: 'wrong-pass' });
      for (let i = 0; i < 3; i++) assert.equal((await fail()).status, 400);
      assert.equal((await fail()).status, 429);
      await clock.advance(61_000);
      assert.equal((await fail()).status, 400);
      // leave the window empty for whatever runs next
      await clock.advance(61_000);
    });

    test('the change-log pruning runs on the clock and cuts at its retention window', async () => {
      const created = await t.request('POST', '/api/collections/notes/records', {
        token: 'superuser',
        body: { title: 'kept for an hour' },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const changesOf = async () =>
        (
          await t.app.db.all(
            t.app.db.qb.selectFrom('_changes').select('seq').where('record_id', '=', created.body.id),
          )
        ).length;
      assert.equal(await changesOf(), 1);
      // pruning runs every 10 minutes; 50 minutes on, the row is still inside the hour
      await clock.advance(50 * 60_000);
      assert.equal(await changesOf(), 1);
      // (the row is dated by the record writer's wall clock, which this test does not move)
      await clock.advance(20 * 60_000);
      assert.equal(await changesOf(), 0);
    });
  });
}
