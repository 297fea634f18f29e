import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { otpFromMail, type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

// PocketBase sentenizes error messages: the period is added on output
const INVALID_OTP = { status: 400, message: 'Invalid or expired OTP.', data: {} };
const bad = (message: string) => ({ status: 400, message, data: {} });

// PocketBase's OTP sign-in and multi-factor sign-in, with codes read from real mail
for (const dialect of DIALECTS) {
  describe(`OTP and MFA (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    before(async () => {
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect, { ...smtp.config, appName: 'Acme' });
      for (const [name, mfa] of [
        ['members', false],
        ['secure', true],
      ] as const) {
        await t.createCollection({
          name,
          type: 'auth',
          viewRule: 'id = @request.auth.id',
          otp: { enabled: true, length: 6 },
          mfa: { enabled: mfa },
        });
      }
      await t.createCollection({ name: 'nootp', type: 'auth' });
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    const post = (c: string, path: string, body: unknown, query = '') =>
      t.request('POST', `/api/collections/${c}/${path}${query}`, { body });
    const createMember = async (c: string, email: string, verified = false) => {
      const res = await t.request('POST', `/api/collections/${c}/records`, {
        token: 'superuser',
        body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, verified },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.id as string;
    };
    /** Requests a code and reads it from the mail. */
    const requestCode = async (c: string, email: string) => {
      const res = await post(c, 'request-otp', { email });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const mail = await smtp.waitForMail(email);
      return { otpId: res.body.otpId as string, code: otpFromMail(mail), mail };
    };
    /** Makes a stored row look created `seconds` ago. */
    const age = async (table: '_otps' | '_mfas', id: string, seconds: number) => {
      const created = new Date(Date.now() - seconds * 1000).toISOString().replace('T', ' ');
      await t.app.db.run(t.app.db.qb.updateTable(table).set({ created }).where('id', '=', id));
    };

    test('auth-methods shows otp and mfa with their durations', async () => {
      const res = await t.request('GET', '/api/collections/secure/auth-methods');
      assert.deepEqual(
        [res.body.otp, res.body.mfa],
        [
          { enabled: true, duration: 180 },
          { enabled: true, duration: 600 },
        ],
      );
    });

    test('OTP: the mailed code signs in once and verifies the email', async () => {
      const id = await createMember('members', 'otp@example.com');
      const { otpId, code, mail } = await requestCode('members', 'otp@example.com');
      assert.equal(mail.subject, 'OTP for Acme');
      assert.match(code, /^\d{6}$/);
      assert.deepEqual(
        (await post('members', 'auth-with-otp', { otpId, password: '000000x' })).body,
        INVALID_OTP,
      );
      const ok = await post('members', 'auth-with-otp', { otpId, password: code });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.record.id, id);
      assert.equal(ok.body.record.verified, true);
      const view = await t.request('GET', `/api/collections/members/records/${id}`, { token: ok.body.token });
      assert.equal(view.status, 200);
      // spent
      assert.deepEqual((await post('members', 'auth-with-otp', { otpId, password: code })).body, INVALID_OTP);
      // like PocketBase: a password set on the unverified account before is replaced
      const pw = await post('members', 'auth-with-password', {
        identity: 'otp@example.com',
        password: USER_PASSWORD,
      });
      assert.equal(pw.status, 400);
    });

    test('OTP: unknown email still gets an otpId and no mail; disabled collection is 403', async () => {
      const res = await post('members', 'request-otp', { email: 'ghost@example.com' });
      assert.equal(res.status, 200);
      assert.match(res.body.otpId, /^[a-z0-9]{15}$/);
      assert.deepEqual(
        (await post('members', 'auth-with-otp', { otpId: res.body.otpId, password: '123456' })).body,
        INVALID_OTP,
      );
      await assert.rejects(smtp.waitForMail('ghost@example.com', 200));
      const off = await post('nootp', 'request-otp', { email: 'ghost@example.com' });
      assert.deepEqual(off.body, {
        status: 403,
        message: 'The collection is not configured to allow OTP authentication.',
        data: {},
      });
    });

    test('OTP: expired, foreign-collection and brute-forced codes fail', async () => {
      await createMember('members', 'expire@example.com', true);
      await createMember('secure', 'expire@example.com', true);
      const a = await requestCode('members', 'expire@example.com');
      await age('_otps', a.otpId, 181);
      assert.deepEqual(
        (await post('members', 'auth-with-otp', { otpId: a.otpId, password: a.code })).body,
        INVALID_OTP,
      );
      const b = await requestCode('secure', 'expire@example.com');
      assert.deepEqual(
        (await post('members', 'auth-with-otp', { otpId: b.otpId, password: b.code })).body,
        INVALID_OTP,
      );
      const c = await requestCode('members', 'expire@example.com');
      for (let i = 0; i < 5; i++) {
        const res = await post('members', 'auth-with-otp', { otpId: c.otpId, password: 'nope' });
        assert.deepEqual(res.body, INVALID_OTP);
      }
      const limited = await post('members', 'auth-with-otp', { otpId: c.otpId, password: c.code });
      assert.deepEqual(limited.body, {
        status: 429,
        message: 'Too many attempts, please try again later with a new OTP.',
        data: {},
      });
    });

    test('MFA: password then OTP completes; the same factor twice does not', async () => {
      const id = await createMember('secure', 'mfa@example.com', true);
      const first = await post('secure', 'auth-with-password', {
        identity: 'mfa@example.com',
        password: USER_PASSWORD,
      });
      assert.equal(first.status, 401);
      assert.deepEqual(Object.keys(first.body), ['mfaId']);
      const { mfaId } = first.body;
      const again = await post('secure', 'auth-with-password', {
        identity: 'mfa@example.com',
        password: USER_PASSWORD,
        mfaId,
      });
      assert.deepEqual(again.body, bad('A different authentication method is required.'));
      // an OTP alone (no mfaId) is only a first factor again
      const solo = await requestCode('secure', 'mfa@example.com');
      const soloRes = await post('secure', 'auth-with-otp', { otpId: solo.otpId, password: solo.code });
      assert.equal(soloRes.status, 401);
      assert.equal(typeof soloRes.body.mfaId, 'string');
      assert.equal(soloRes.body.token, undefined);
      const second = await requestCode('secure', 'mfa@example.com');
      const done = await post(
        'secure',
        'auth-with-otp',
        { otpId: second.otpId, password: second.code },
        `?mfaId=${mfaId}`,
      );
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.record.id, id);
      // the session is spent
      const third = await requestCode('secure', 'mfa@example.com');
      const reuse = await post('secure', 'auth-with-otp', {
        otpId: third.otpId,
        password: third.code,
        mfaId,
      });
      assert.deepEqual(reuse.body, bad('Invalid or expired MFA session.'));
    });

    test('MFA: expired and foreign sessions are refused', async () => {
      await createMember('secure', 'mfa-a@example.com', true);
      await createMember('secure', 'mfa-b@example.com', true);
      const a = await post('secure', 'auth-with-password', {
        identity: 'mfa-a@example.com',
        password: USER_PASSWORD,
      });
      const b = await requestCode('secure', 'mfa-b@example.com');
      const foreign = await post('secure', 'auth-with-otp', {
        otpId: b.otpId,
        password: b.code,
        mfaId: a.body.mfaId,
      });
      assert.deepEqual(foreign.body, bad('Invalid MFA session.'));
      const a2 = await requestCode('secure', 'mfa-a@example.com');
      await age('_mfas', a.body.mfaId, 601);
      const expired = await post('secure', 'auth-with-otp', {
        otpId: a2.otpId,
        password: a2.code,
        mfaId: a.body.mfaId,
      });
      assert.deepEqual(expired.body, bad('Invalid or expired MFA session.'));
      const made = await post('secure', 'auth-with-otp', {
        otpId: (await requestCode('secure', 'mfa-a@example.com')).otpId,
        password: '1',
        mfaId: 'doesnotexist123',
      });
      assert.deepEqual(made.body, INVALID_OTP);
    });
  });
}
