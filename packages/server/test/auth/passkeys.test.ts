import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { createSoftAuthenticator } from '../support/authenticator.ts';
import { encodeCbor } from '../support/cbor.ts';

const ORIGIN = 'https://app.example.com';
const FAILED = { status: 400, message: 'Failed to authenticate.', data: {} };

test('the CBOR encoder writes RFC 8949 examples', () => {
  const hex = (v: Parameters<typeof encodeCbor>[0]) => Buffer.from(encodeCbor(v)).toString('hex');
  assert.equal(hex(0), '00');
  assert.equal(hex(23), '17');
  assert.equal(hex(24), '1818');
  assert.equal(hex(1000), '1903e8');
  assert.equal(hex(1000000), '1a000f4240');
  assert.equal(hex(-1), '20');
  assert.equal(hex(-7), '26');
  assert.equal(hex(-1000), '3903e7');
  assert.equal(hex('IETF'), '6449455446');
  assert.equal(hex(new Uint8Array([1, 2, 3, 4])), '4401020304');
  assert.equal(hex([1, [2, 3], [4, 5]]), '8301820203820405');
  assert.equal(hex({ a: 1, b: [2, 3] }), 'a26161016162820203');
  assert.equal(hex([true, false, null]), '83f5f4f6');
});

// ForgeBase's passkeys, with a software authenticator speaking real WebAuthn bytes
for (const dialect of DIALECTS) {
  describe(`passkeys (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { appUrl: `${ORIGIN}/`, appName: 'Acme' });
      for (const [name, mfa] of [
        ['members', false],
        ['secure', true],
      ] as const) {
        await t.createCollection({
          name,
          type: 'auth',
          viewRule: 'id = @request.auth.id',
          passkeyAuth: { enabled: true },
          mfa: { enabled: mfa },
        });
      }
      await t.createCollection({ name: 'plain', type: 'auth' });
    });
    after(() => t.close());

    const post = (c: string, path: string, body: unknown, token?: string) =>
      t.request('POST', `/api/collections/${c}/${path}`, { body, ...(token ? { token } : {}) });
    const member = async (c: string, email: string) => {
      const res = await t.request('POST', `/api/collections/${c}/records`, {
        token: 'superuser',
        body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, verified: true },
      });
      const imp = await post(c, `impersonate/${res.body.id}`, {}, 'superuser');
      return { id: res.body.id as string, token: imp.body.token as string };
    };
    const register = async (c: string, token: string, device = createSoftAuthenticator(ORIGIN)) => {
      const opts = await post(c, 'passkeys/register-options', {}, token);
      assert.equal(opts.status, 200, JSON.stringify(opts.body));
      const res = await post(
        c,
        'passkeys/register',
        { response: device.create(opts.body), name: 'Laptop' },
        token,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { device, passkey: res.body };
    };

    test('register a passkey, then sign in with it (no email needed)', async () => {
      const { id, token } = await member('members', 'pk@example.com');
      const opts = await post('members', 'passkeys/register-options', {}, token);
      assert.equal(opts.body.rp.id, 'app.example.com');
      assert.equal(opts.body.rp.name, 'Acme');
      assert.equal(opts.body.user.name, 'pk@example.com');
      assert.equal(Buffer.from(opts.body.user.id, 'base64url').toString(), id);
      assert.equal(opts.body.attestation, 'none');
      const device = createSoftAuthenticator(ORIGIN);
      const reg = await post(
        'members',
        'passkeys/register',
        { response: device.create(opts.body), name: 'Laptop' },
        token,
      );
      assert.equal(reg.status, 200, JSON.stringify(reg.body));
      assert.deepEqual(Object.keys(reg.body).sort(), ['created', 'id', 'lastUsed', 'name']);
      assert.equal(reg.body.name, 'Laptop');

      const challenge = await post('members', 'auth-with-passkey/options', {});
      assert.equal(challenge.status, 200);
      assert.equal(challenge.body.rpId, 'app.example.com');
      const ok = await post('members', 'auth-with-passkey', { response: device.get(challenge.body) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.record.id, id);
      const view = await t.request('GET', `/api/collections/members/records/${id}`, { token: ok.body.token });
      assert.equal(view.status, 200);
      // a challenge works once
      const replay = await post('members', 'auth-with-passkey', { response: device.get(challenge.body) });
      assert.deepEqual(replay.body, FAILED);

      const list = await t.request('GET', '/api/collections/members/passkeys', { token });
      assert.equal(list.body.items.length, 1);
      assert.match(list.body.items[0].lastUsed, /^\d{4}-/);
    });

    // security #15: a touch alone (user presence) does not sign in; PIN or biometric is needed
    test('sign-in and registration require user verification', async () => {
      const { token } = await member('members', 'uv@example.com');
      const { device } = await register('members', token);
      const challenge = await post('members', 'auth-with-passkey/options', {});
      assert.equal(challenge.body.userVerification, 'required');
      const presenceOnly = await post('members', 'auth-with-passkey', {
        response: device.get(challenge.body, { userVerified: false }),
      });
      assert.deepEqual(presenceOnly.body, FAILED);
      // the same passkey, user verified, on a new challenge
      const again = await post('members', 'auth-with-passkey/options', {});
      const ok = await post('members', 'auth-with-passkey', { response: device.get(again.body) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));

      const opts = await post('members', 'passkeys/register-options', {}, token);
      assert.equal(opts.body.authenticatorSelection.userVerification, 'required');
      const unverified = await post(
        'members',
        'passkeys/register',
        { response: createSoftAuthenticator(ORIGIN).create(opts.body, { userVerified: false }) },
        token,
      );
      assert.deepEqual(unverified.body, { status: 400, message: 'Failed to verify the passkey.', data: {} });
    });

    test('wrong origin, replayed counter, unknown or deleted credential and wrong challenge fail', async () => {
      const { token } = await member('members', 'bad@example.com');
      const { device, passkey } = await register('members', token);
      const opts = () => post('members', 'auth-with-passkey/options', {}).then((r) => r.body);

      const phish = await post('members', 'auth-with-passkey', {
        response: device.get(await opts(), { origin: 'https://evil.example.com' }),
      });
      assert.deepEqual(phish.body, FAILED);
      assert.equal(
        (await post('members', 'auth-with-passkey', { response: device.get(await opts(), { counter: 5 }) }))
          .status,
        200,
      );
      // a cloned authenticator shows an old counter
      const cloned = await post('members', 'auth-with-passkey', {
        response: device.get(await opts(), { counter: 3 }),
      });
      assert.deepEqual(cloned.body, FAILED);
      // a challenge the server never issued
      const forged = await post('members', 'auth-with-passkey', {
        response: device.get({
          rpId: 'app.example.com',
          challenge: Buffer.from('made-up').toString('base64url'),
        }),
      });
      assert.deepEqual(forged.body, FAILED);
      // a registration whose challenge belongs to another record
      const other = await member('members', 'other@example.com');
      const foreign = await post('members', 'passkeys/register-options', {}, other.token);
      const stolen = await post(
        'members',
        'passkeys/register',
        { response: createSoftAuthenticator(ORIGIN).create(foreign.body) },
        token,
      );
      assert.deepEqual(stolen.body, { status: 400, message: 'Failed to verify the passkey.', data: {} });

      assert.equal(
        (await t.request('DELETE', `/api/collections/members/passkeys/${passkey.id}`, { token })).status,
        204,
      );
      assert.equal(
        (await t.request('DELETE', `/api/collections/members/passkeys/${passkey.id}`, { token })).status,
        404,
      );
      const gone = await post('members', 'auth-with-passkey', { response: device.get(await opts()) });
      assert.deepEqual(gone.body, FAILED);
    });

    test('with MFA a passkey is a first factor, and a password completes it', async () => {
      const { id, token } = await member('secure', 'mfa@example.com');
      const { device } = await register('secure', token);
      const opts = await post('secure', 'auth-with-passkey/options', {});
      const first = await post('secure', 'auth-with-passkey', { response: device.get(opts.body) });
      assert.equal(first.status, 401);
      assert.match(first.body.mfaId, /^[a-z0-9]{15}$/);
      const second = await post('secure', 'auth-with-password', {
        identity: 'mfa@example.com',
        password: USER_PASSWORD,
        mfaId: first.body.mfaId,
      });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.record.id, id);
    });

    test('deleting a record forgets its passkeys and TOTP', async () => {
      const { id, token } = await member('members', 'gone@example.com');
      const { device } = await register('members', token);
      await post('members', 'totp/enroll', {}, token);
      const rows = async () =>
        (await t.app.db.all(t.app.db.qb.selectFrom('_passkeys').select('id').where('record_ref', '=', id)))
          .length +
        (
          await t.app.db.all(
            t.app.db.qb.selectFrom('_totps').select('record_ref').where('record_ref', '=', id),
          )
        ).length;
      assert.equal(await rows(), 2);
      const del = await t.request('DELETE', `/api/collections/members/records/${id}`, { token: 'superuser' });
      assert.equal(del.status, 204);
      // gone in the same transaction as the record
      assert.equal(await rows(), 0);
      const opts = await post('members', 'auth-with-passkey/options', {});
      assert.deepEqual(
        (await post('members', 'auth-with-passkey', { response: device.get(opts.body) })).body,
        FAILED,
      );
    });

    test('passkeys need the option on, and a signed-in record of the collection to register', async () => {
      const off = await post('plain', 'auth-with-passkey/options', {});
      assert.deepEqual(off.body, {
        status: 403,
        message: 'The collection is not configured to allow passkey authentication.',
        data: {},
      });
      assert.equal((await post('members', 'passkeys/register-options', {})).status, 401);
      const { token } = await member('secure', 'cross@example.com');
      assert.equal((await post('members', 'passkeys/register-options', {}, token)).status, 403);
      assert.equal((await t.request('GET', '/api/collections/members/passkeys')).status, 401);
    });
  });
}
