import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';

const INVALID = { status: 400, message: 'Invalid or expired TOTP code.', data: {} };

/** The authenticator app: the current code of a secret. */
const codeOf = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate();

// ForgeBase's TOTP second factor, end to end over HTTP
for (const dialect of DIALECTS) {
  describe(`TOTP (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { appName: 'Acme' });
      await t.createCollection({
        name: 'secure',
        type: 'auth',
        viewRule: 'id = @request.auth.id',
        mfa: { enabled: true },
      });
    });
    after(() => t.close());

    const post = (path: string, body: unknown, token?: string) =>
      t.request('POST', `/api/collections/secure/${path}`, { body, ...(token ? { token } : {}) });
    /** A record and a token for it (impersonation: with MFA on, a password alone gives no token). */
    const member = async (email: string) => {
      const res = await t.request('POST', '/api/collections/secure/records', {
        token: 'superuser',
        body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, verified: true },
      });
      const imp = await t.request('POST', `/api/collections/secure/impersonate/${res.body.id}`, {
        token: 'superuser',
        body: {},
      });
      return { id: res.body.id as string, token: imp.body.token as string };
    };
    const mfaId = async (email: string) => {
      const res = await post('auth-with-password', { identity: email, password: USER_PASSWORD });
      assert.equal(res.status, 401, JSON.stringify(res.body));
      return res.body.mfaId as string;
    };
    /** Lets the current time step be used again (each code is otherwise spent once). */
    const rewind = (id: string) =>
      t.app.db.run(t.app.db.qb.updateTable('_totps').set({ last_step: 0 }).where('record_ref', '=', id));

    test('enrol, confirm, complete an MFA sign-in, disable', async () => {
      const { id, token } = await member('totp@example.com');
      const enrol = await post('totp/enroll', {}, token);
      assert.equal(enrol.status, 200, JSON.stringify(enrol.body));
      assert.match(enrol.body.secret, /^[A-Z2-7]{32}$/);
      const uri = new URL(enrol.body.uri);
      assert.equal(uri.protocol, 'otpauth:');
      assert.equal(uri.host, 'totp');
      assert.equal(decodeURIComponent(uri.pathname), '/Acme:totp@example.com');
      assert.equal(uri.searchParams.get('secret'), enrol.body.secret);
      assert.equal(uri.searchParams.get('issuer'), 'Acme');
      // not on until confirmed
      assert.deepEqual(
        (
          await post('auth-with-totp', {
            mfaId: await mfaId('totp@example.com'),
            code: codeOf(enrol.body.secret),
          })
        ).body,
        INVALID,
      );
      assert.deepEqual((await post('totp/confirm', { code: '000000' }, token)).body, INVALID);
      assert.equal((await post('totp/confirm', { code: codeOf(enrol.body.secret) }, token)).status, 204);
      assert.equal((await post('totp/enroll', {}, token)).status, 400);

      // the code that confirmed is spent
      const m1 = await mfaId('totp@example.com');
      assert.deepEqual(
        (await post('auth-with-totp', { mfaId: m1, code: codeOf(enrol.body.secret) })).body,
        INVALID,
      );
      await rewind(id);
      const ok = await post('auth-with-totp', { mfaId: m1, code: codeOf(enrol.body.secret) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.record.id, id);
      const view = await t.request('GET', `/api/collections/secure/records/${id}`, { token: ok.body.token });
      assert.equal(view.status, 200);
      // the MFA session is spent too
      await rewind(id);
      const again = await post('auth-with-totp', { mfaId: m1, code: codeOf(enrol.body.secret) });
      assert.deepEqual(again.body, { status: 400, message: 'Invalid or expired MFA session.', data: {} });

      await rewind(id);
      assert.deepEqual((await post('totp/disable', { code: '123' }, token)).body, INVALID);
      assert.equal((await post('totp/disable', { code: codeOf(enrol.body.secret) }, token)).status, 204);
      assert.deepEqual(
        (
          await post('auth-with-totp', {
            mfaId: await mfaId('totp@example.com'),
            code: codeOf(enrol.body.secret),
          })
        ).body,
        INVALID,
      );
      assert.deepEqual((await post('totp/disable', { code: '000000' }, token)).body, {
        status: 400,
        message: 'TOTP is not enabled.',
        data: {},
      });
    });

    test('TOTP needs an MFA session of the same record, and a signed-in record to enrol', async () => {
      const a = await member('a@example.com');
      const enrol = await post('totp/enroll', {}, a.token);
      await post('totp/confirm', { code: codeOf(enrol.body.secret) }, a.token);
      await rewind(a.id);
      const noMfa = await post('auth-with-totp', { code: codeOf(enrol.body.secret) });
      assert.deepEqual(noMfa.body, {
        status: 400,
        message: 'TOTP only completes a multi-factor sign-in: send the mfaId of the first factor.',
        data: {},
      });
      // b's session with a's code: b has no TOTP
      await member('b@example.com');
      const other = await post('auth-with-totp', {
        mfaId: await mfaId('b@example.com'),
        code: codeOf(enrol.body.secret),
      });
      assert.deepEqual(other.body, INVALID);
      assert.equal((await post('totp/enroll', {})).status, 401);
      const su = await t.request('POST', '/api/collections/secure/totp/enroll', { token: 'superuser' });
      assert.equal(su.status, 403);
    });

    test('wrong codes are limited per record', async () => {
      const { id, token } = await member('limit@example.com');
      const enrol = await post('totp/enroll', {}, token);
      await post('totp/confirm', { code: codeOf(enrol.body.secret) }, token);
      await rewind(id);
      const m = await mfaId('limit@example.com');
      const wrong = codeOf(enrol.body.secret) === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++)
        assert.equal((await post('auth-with-totp', { mfaId: m, code: wrong })).status, 400);
      const blocked = await post('auth-with-totp', { mfaId: m, code: codeOf(enrol.body.secret) });
      assert.equal(blocked.status, 429);
    });
  });
}
