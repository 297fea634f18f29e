import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { createSoftAuthenticator } from '../../server/test/support/authenticator.ts';
import { type OidcProvider, startOidcProvider } from '../../server/test/support/oidc-provider.ts';
import { otpFromMail, type SmtpCatcher, startSmtpCatcher } from '../../server/test/support/smtp.ts';
import { AuthStore, ClientError, mfaIdOf, oauth2CodeFlow } from '../src/index.ts';
import { client, DIALECTS, startTestApp, type TestApp } from './support/server.ts';

const ORIGIN = 'https://app.example.com';
const PASSWORD = 'user-password-123';

for (const dialect of DIALECTS) {
  describe(`client auth (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    let idp: OidcProvider;
    before(async () => {
      smtp = await startSmtpCatcher();
      idp = await startOidcProvider();
      t = await startTestApp(dialect, { ...smtp.config, appName: 'Acme', appUrl: `${ORIGIN}/` });
      await t.createCollection({
        name: 'users',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        fields: [
          { name: 'email', type: 'email', required: false },
          { name: 'name', type: 'text' },
        ],
        otp: { enabled: true },
        passkeyAuth: { enabled: true },
        anonymousAuth: { enabled: true },
        oauth2: {
          enabled: true,
          mappedFields: { name: 'name' },
          providers: [
            { name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, issuer: idp.issuer },
          ],
        },
      });
      await t.createCollection({
        name: 'secure',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        mfa: { enabled: true },
      });
    });
    after(async () => {
      await t.close();
      await smtp.close();
      await idp.close();
    });

    const signUp = async (collection: string, email: string) => {
      const fb = client(t.url);
      await fb.collection(collection).create({ email, password: PASSWORD, passwordConfirm: PASSWORD });
      return fb;
    };

    test('password sign-in saves the token and record; a wrong password is a 400 ClientError', async () => {
      const fb = await signUp('users', 'pw@example.com');
      const res = await fb.collection('users').authWithPassword('pw@example.com', PASSWORD);
      assert.equal(fb.authStore.token, res.token);
      assert.equal(fb.authStore.record?.email, 'pw@example.com');
      assert.equal(fb.authStore.isValid, true);
      assert.equal((await fb.collection('users').getOne(res.record.id)).id, res.record.id);
      const e = await fb
        .collection('users')
        .authWithPassword('pw@example.com', 'wrong-password')
        .catch((x: unknown) => x);
      assert.ok(e instanceof ClientError && e.status === 400 && e.code === 'bad_request');
    });

    test('OTP: the code from the mail signs in', async () => {
      await signUp('users', 'otp@example.com');
      const fb = client(t.url);
      const { otpId } = await fb.collection('users').requestOTP('otp@example.com');
      const code = otpFromMail(await smtp.waitForMail('otp@example.com'));
      const res = await fb.collection('users').authWithOTP(otpId, code);
      assert.equal(res.record.email, 'otp@example.com');
      assert.equal(fb.authStore.token, res.token);
    });

    test('magic link: the mailed link signs in through authWithMagicLink', async () => {
      await signUp('users', 'link@example.com');
      const fb = client(t.url);
      const { otpId } = await fb.collection('users').requestMagicLink('link@example.com');
      const mail = await smtp.waitForMail('link@example.com');
      const href = /href="([^"]*magic-link[^"]*)"/.exec(mail.text)?.[1]?.replaceAll('&amp;', '&') ?? '';
      // the default link opens the dashboard's page: its parameters sit after the '#'
      const params = new URLSearchParams(new URL(href).hash.split('?')[1]);
      assert.equal(params.get('otpId'), otpId);
      const res = await fb.collection('users').authWithMagicLink(otpId, params.get('code') ?? '');
      assert.equal(res.record.email, 'link@example.com');
      assert.equal(res.record.verified, true);
    });

    test('OAuth2 code flow: provider URL, code, then authWithOAuth2Code', async () => {
      const fb = client(t.url);
      const redirect = 'https://app.example.com/oauth-done';
      const flow = await oauth2CodeFlow(fb.collection('users'), 'oidc', redirect);
      const back = await idp.authorize(flow.url, {
        sub: 's-code',
        email: 'code@example.com',
        email_verified: true,
        name: 'Code',
      });
      assert.equal(back.state, flow.state);
      const res = await fb
        .collection('users')
        .authWithOAuth2Code('oidc', back.code, flow.codeVerifier, redirect);
      assert.equal(res.record.email, 'code@example.com');
      assert.equal(res.meta?.isNew, true);
      assert.equal(fb.authStore.record?.name, 'Code');
    });

    test('OAuth2 popup flow over the realtime @oauth2 topic', { timeout: 30_000 }, async () => {
      const fb = client(t.url);
      const res = await fb.collection('users').authWithOAuth2({
        provider: 'oidc',
        urlCallback: async (url) => {
          assert.match(url, /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fapi%2Foauth2-redirect/);
          const back = await idp.authorize(url, {
            sub: 's-popup',
            email: 'popup@example.com',
            email_verified: true,
          });
          const page = await fetch(`${back.redirect}?code=${back.code}&state=${back.state}`);
          assert.equal(page.status, 200);
        },
      });
      assert.equal(res.record.email, 'popup@example.com');
      assert.equal(fb.authStore.token, res.token);
    });

    test('TOTP as the second factor: enroll, confirm, then password answers mfaId and TOTP completes', async () => {
      const fb = await signUp('secure', 'totp@example.com');
      // with MFA on, the first factor alone answers 401 {mfaId}; sign in as the superuser would
      const first = await fb
        .collection('secure')
        .authWithPassword('totp@example.com', PASSWORD)
        .catch((x: unknown) => x);
      const mfaId = mfaIdOf(first);
      assert.ok(mfaId);
      const id = (
        await client(t.url, t.superuserToken).collection('secure').getFirst("email = 'totp@example.com'")
      ).id;
      const imp = await client(t.url, t.superuserToken).collection('secure').impersonate(id);
      fb.authStore.save(imp.token, imp.record);
      const { secret, uri } = await fb.collection('secure').enrollTOTP();
      assert.match(uri, /^otpauth:\/\/totp\//);
      const totp = new TOTP({ secret: Secret.fromBase32(secret) });
      await fb.collection('secure').confirmTOTP(totp.generate());
      fb.authStore.clear();
      const again = await fb
        .collection('secure')
        .authWithPassword('totp@example.com', PASSWORD)
        .catch((x: unknown) => x);
      const res = await fb
        .collection('secure')
        .authWithTOTP(mfaIdOf(again) ?? '', totp.generate({ timestamp: Date.now() + 30_000 }));
      assert.equal(res.record.email, 'totp@example.com');
      assert.equal(fb.authStore.token, res.token);
    });

    test('passkeys: register with an authenticator, list, sign in without email, delete', async () => {
      const fb = await signUp('users', 'pk@example.com');
      await fb.collection('users').authWithPassword('pk@example.com', PASSWORD);
      const device = createSoftAuthenticator(ORIGIN);
      const pk = await fb
        .collection('users')
        .registerPasskey({ name: 'Laptop', authenticator: async (o) => device.create(o) });
      assert.equal(pk.name, 'Laptop');
      assert.deepEqual(
        (await fb.collection('users').listPasskeys()).map((p) => p.id),
        [pk.id],
      );
      const other = client(t.url);
      const res = await other
        .collection('users')
        .authWithPasskey({ authenticator: async (o) => device.get(o) });
      assert.equal(res.record.email, 'pk@example.com');
      await fb.collection('users').deletePasskey(pk.id);
      assert.deepEqual(await fb.collection('users').listPasskeys(), []);
    });

    test('anonymous sign-in, then upgrade keeps the id', async () => {
      const fb = client(t.url);
      const anon = await fb.collection('users').authAnonymously({ name: 'guest' });
      assert.equal(anon.record.email, '');
      const up = await fb.collection('users').upgradeAnonymous('anon@example.com', PASSWORD);
      assert.equal(up.record.id, anon.record.id);
      assert.equal(fb.authStore.token, up.token);
    });

    test('authRefresh renews the token; auto refresh runs before a request when the token is near expiry', async () => {
      const seen: string[] = [];
      const recording: typeof fetch = (input, init) => {
        seen.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      };
      const fb = await signUp('users', 'refresh@example.com');
      const res = await fb.collection('users').authWithPassword('refresh@example.com', PASSWORD);
      const again = await fb.collection('users').authRefresh();
      assert.equal(again.record.id, res.record.id);
      // every token counts as near expiry with this margin: the next request refreshes first
      const eager = client(t.url, undefined, { fetch: recording, refreshMarginSeconds: 10 ** 9 });
      eager.authStore.save(again.token, again.record);
      await eager.collection('users').getOne(res.record.id);
      assert.deepEqual(seen, [
        'POST /api/collections/users/auth-refresh',
        `GET /api/collections/users/records/${res.record.id}`,
      ]);
      const lazy = client(t.url, undefined, { fetch: recording, refreshMarginSeconds: 0 });
      lazy.authStore.save(again.token, again.record);
      seen.length = 0;
      await lazy.collection('users').getOne(res.record.id);
      assert.deepEqual(seen, [`GET /api/collections/users/records/${res.record.id}`]);
    });

    test('the auth store round-trips through a cookie and a custom persistence', async () => {
      const fb = await signUp('users', 'cookie@example.com');
      const res = await fb.collection('users').authWithPassword('cookie@example.com', PASSWORD);
      const cookie = fb.authStore.exportToCookie({ sameSite: 'Lax' });
      assert.match(cookie, /^fb_auth=[^;]+; Path=\/; Max-Age=\d+; Secure; HttpOnly; SameSite=Lax$/);
      const ssr = new AuthStore();
      ssr.loadFromCookie(`other=1; ${cookie.split(';')[0]}`);
      assert.equal(ssr.token, res.token);
      assert.equal(ssr.record?.id, res.record.id);
      ssr.loadFromCookie('other=1');
      assert.equal(ssr.token, '');
      const saved: string[] = [];
      const store = new AuthStore({
        load: () => saved.at(-1),
        save: (v) => void saved.push(v),
        clear: () => {},
      });
      store.save(res.token, res.record);
      assert.equal(
        new AuthStore({ load: () => saved.at(-1), save: () => {}, clear: () => {} }).token,
        res.token,
      );
    });
  });
}
