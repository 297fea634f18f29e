import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { type OidcProvider, type OidcUser, startOidcProvider } from '../support/oidc-provider.ts';

const REDIRECT = 'http://127.0.0.1:9/oauth2-redirect';

// PocketBase's OAuth2 sign-in against a real OpenID Connect provider the test runs
for (const dialect of DIALECTS) {
  describe(`OAuth2 (${dialect})`, () => {
    let t: TestApp;
    let idp: OidcProvider;
    before(async () => {
      idp = await startOidcProvider();
      t = await startTestApp(dialect);
      const provider = { clientId: idp.clientId, clientSecret: idp.clientSecret };
      await t.createCollection({
        name: 'users',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        fields: [{ name: 'name', type: 'text' }],
        oauth2: {
          enabled: true,
          mappedFields: { name: 'name' },
          providers: [{ name: 'oidc', ...provider, issuer: idp.issuer, displayName: 'Test IdP' }],
        },
      });
      // explicit endpoints instead of discovery; nobody may sign up
      await t.createCollection({
        name: 'staff',
        type: 'auth',
        createRule: null,
        oauth2: {
          enabled: true,
          providers: [
            {
              name: 'oidc2',
              ...provider,
              issuer: idp.issuer,
              authURL: `${idp.issuer}/authorize`,
              tokenURL: `${idp.issuer}/token`,
              userInfoURL: `${idp.issuer}/userinfo`,
              jwksURL: `${idp.issuer}/jwks`,
            },
          ],
        },
      });
      await t.createCollection({ name: 'plain', type: 'auth' });
    });
    after(async () => {
      await t.close();
      await idp.close();
    });

    /** auth-methods → the provider's authorize page → back with a code. */
    const consent = async (c: string, user: OidcUser) => {
      const methods = await t.request('GET', `/api/collections/${c}/auth-methods`);
      assert.equal(methods.status, 200);
      const p = methods.body.oauth2.providers[0];
      const back = await idp.authorize(p.authURL + encodeURIComponent(REDIRECT), user);
      assert.equal(back.state, p.state);
      return { provider: p.name as string, code: back.code, codeVerifier: p.codeVerifier as string };
    };
    const signIn = (c: string, body: Record<string, unknown>, token?: string) =>
      t.request('POST', `/api/collections/${c}/auth-with-oauth2`, {
        body: { redirectURL: REDIRECT, ...body },
        ...(token ? { token } : {}),
      });

    test('auth-methods lists the provider with state and PKCE; secrets never leave', async () => {
      const res = await t.request('GET', '/api/collections/users/auth-methods');
      assert.equal(res.body.oauth2.enabled, true);
      const [p] = res.body.oauth2.providers;
      assert.deepEqual(Object.keys(p).sort(), [
        'authURL',
        'authUrl',
        'codeChallenge',
        'codeChallengeMethod',
        'codeVerifier',
        'displayName',
        'name',
        'state',
      ]);
      assert.equal(p.displayName, 'Test IdP');
      assert.equal(p.codeChallengeMethod, 'S256');
      assert.match(p.codeVerifier, /^[a-z0-9]{43}$/);
      assert.match(p.state, /^[a-z0-9]{30}$/);
      const url = new URL(p.authURL);
      assert.equal(`${url.origin}${url.pathname}`, `${idp.issuer}/authorize`);
      assert.equal(url.searchParams.get('client_id'), idp.clientId);
      assert.equal(url.searchParams.get('code_challenge'), p.codeChallenge);
      assert.ok(p.authURL.endsWith('&redirect_uri='));
      assert.deepEqual(res.body.authProviders, [{ ...p, logo: '' }]);
      const plain = await t.request('GET', '/api/collections/plain/auth-methods');
      assert.deepEqual(plain.body.oauth2, { providers: [], enabled: false });
      const col = await t.request('GET', '/api/collections/users', { token: 'superuser' });
      assert.equal(col.body.oauth2.providers[0].clientSecret, undefined);
      assert.ok(!JSON.stringify(col.body).includes(idp.clientSecret));
    });

    test('the named providers build their authorization URLs (arctic)', async () => {
      const names = ['google', 'github', 'apple', 'microsoft', 'gitlab', 'discord'];
      await t.createCollection({
        name: 'social',
        type: 'auth',
        oauth2: {
          enabled: true,
          providers: names.map((name) => ({ name, clientId: `id-${name}`, clientSecret: 's' })),
        },
      });
      const res = await t.request('GET', '/api/collections/social/auth-methods');
      const byName = Object.fromEntries(
        res.body.oauth2.providers.map((p: { name: string }) => [p.name, p]),
      ) as Record<string, { authURL: string; codeChallenge: string; displayName: string }>;
      const expected: Record<string, [string, boolean]> = {
        google: ['https://accounts.google.com/o/oauth2/v2/auth', true],
        github: ['https://github.com/login/oauth/authorize', false],
        apple: ['https://appleid.apple.com/auth/authorize', false],
        microsoft: ['https://login.microsoftonline.com/common/oauth2/v2.0/authorize', true],
        gitlab: ['https://gitlab.com/oauth/authorize', false],
        discord: ['https://discord.com/oauth2/authorize', true],
      };
      assert.deepEqual(Object.keys(byName).sort(), [...names].sort());
      for (const [name, [endpoint, pkce]] of Object.entries(expected)) {
        const p = byName[name]!;
        const url = new URL(p.authURL);
        assert.equal(`${url.origin}${url.pathname}`, endpoint, name);
        assert.equal(url.searchParams.get('client_id'), `id-${name}`, name);
        assert.equal(url.searchParams.get('code_challenge') ?? '', p.codeChallenge, name);
        assert.equal(p.codeChallenge !== '', pkce, name);
        assert.ok(p.authURL.endsWith('&redirect_uri='), name);
      }
      assert.equal(new URL(byName.apple!.authURL).searchParams.get('response_mode'), 'form_post');
      assert.equal(byName.github!.displayName, 'GitHub');
    });

    test('a new identity creates a verified record with createData; the next sign-in finds it', async () => {
      const user = { sub: 'sub-new', email: 'new@example.com', email_verified: true, name: 'Nova' };
      const first = await signIn('users', {
        ...(await consent('users', user)),
        createData: { name: 'Chosen' },
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.record.email, 'new@example.com');
      assert.equal(first.body.record.verified, true);
      assert.equal(first.body.record.name, 'Chosen');
      assert.equal(first.body.meta.isNew, true);
      assert.equal(first.body.meta.id, 'sub-new');
      assert.equal(first.body.meta.email, 'new@example.com');
      assert.equal(first.body.meta.name, 'Nova');
      assert.match(first.body.meta.accessToken, /^[0-9a-f]{32}$/);
      assert.equal(first.body.meta.refreshToken, `r-${first.body.meta.accessToken}`);
      const view = await t.request('GET', `/api/collections/users/records/${first.body.record.id}`, {
        token: first.body.token,
      });
      assert.equal(view.status, 200);
      // the same subject, even with another email now, is the same record
      const again = await signIn('users', await consent('users', { ...user, email: 'other@example.com' }));
      assert.equal(again.status, 200);
      assert.equal(again.body.record.id, first.body.record.id);
      assert.equal(again.body.meta.isNew, false);
      // a code works once
      const c = await consent('users', user);
      assert.equal((await signIn('users', c)).status, 200);
      const reused = await signIn('users', c);
      assert.deepEqual(reused.body, { status: 400, message: 'Failed to fetch OAuth2 token.', data: {} });
    });

    test('a verified provider email links to the existing record and takes over an unverified one', async () => {
      const created = await t.request('POST', '/api/collections/users/records', {
        body: { email: 'link@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
      });
      assert.equal(created.status, 200);
      const res = await signIn(
        'users',
        await consent('users', { sub: 'sub-link', email: 'link@example.com', email_verified: true }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.record.id, created.body.id);
      assert.equal(res.body.record.verified, true);
      assert.equal(res.body.meta.isNew, false);
      // whoever set that password before the address was proven is locked out
      const pw = await t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity: 'link@example.com', password: USER_PASSWORD },
      });
      assert.equal(pw.status, 400);
    });

    test('an unverified provider email does not link to a record with that email', async () => {
      const created = await t.request('POST', '/api/collections/users/records', {
        token: 'superuser',
        body: {
          email: 'victim@example.com',
          password: USER_PASSWORD,
          passwordConfirm: USER_PASSWORD,
          verified: true,
        },
      });
      const res = await signIn('users', {
        ...(await consent('users', { sub: 'sub-evil', email: 'victim@example.com', email_verified: false })),
        createData: { email: 'attacker@example.com' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.notEqual(res.body.record.id, created.body.id);
      assert.equal(res.body.record.email, 'attacker@example.com');
      assert.equal(res.body.record.verified, false);
    });

    test('a signed-in record links a new provider identity to itself', async () => {
      const created = await t.request('POST', '/api/collections/users/records', {
        body: { email: 'me@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
      });
      const login = await t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity: 'me@example.com', password: USER_PASSWORD },
      });
      const linked = await signIn(
        'users',
        await consent('users', { sub: 'sub-me', email: 'elsewhere@example.com', email_verified: true }),
        login.body.token,
      );
      assert.equal(linked.status, 200, JSON.stringify(linked.body));
      assert.equal(linked.body.record.id, created.body.id);
      // its own session keeps its password
      const pw = await t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity: 'me@example.com', password: USER_PASSWORD },
      });
      assert.equal(pw.status, 200);
      const later = await signIn('users', await consent('users', { sub: 'sub-me' }));
      assert.equal(later.body.record.id, created.body.id);
      // (like PocketBase, that sign-in replaced the unverified record's password: use its token)
      const links = await t.request('GET', '/api/collections/users/external-auths', {
        token: later.body.token,
      });
      assert.equal(links.status, 200);
      assert.deepEqual(
        links.body.items.map((l: { provider: string; providerId: string }) => [l.provider, l.providerId]),
        [['oidc', 'sub-me']],
      );
      const unlink = () =>
        t.request('DELETE', '/api/collections/users/external-auths/oidc', { token: later.body.token });
      assert.equal((await unlink()).status, 204);
      assert.equal((await unlink()).status, 404);
      assert.equal((await t.request('GET', '/api/collections/users/external-auths')).status, 401);
      // unlinked: the identity (with an email no record has) now signs up anew
      const fresh = await signIn(
        'users',
        await consent('users', { sub: 'sub-me', email: 'me2@example.com', email_verified: true }),
      );
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.notEqual(fresh.body.record.id, created.body.id);
    });

    test('bad input, wrong verifier, foreign audience, disabled collections and createRule', async () => {
      const unknown = await signIn('users', { provider: 'google', code: 'x' });
      assert.deepEqual(unknown.body, {
        status: 400,
        message: 'An error occurred while loading the submitted data.',
        data: {
          provider: {
            code: 'validation_invalid_provider',
            message: 'Provider with name google is missing or is not enabled.',
            params: { name: 'google' },
          },
        },
      });
      const blank = await signIn('users', {});
      assert.deepEqual(Object.keys(blank.body.data).sort(), ['code', 'provider']);
      const c = await consent('users', { sub: 'sub-x', email: 'x@example.com', email_verified: true });
      const wrong = await signIn('users', { ...c, codeVerifier: 'x'.repeat(43) });
      assert.deepEqual(wrong.body, { status: 400, message: 'Failed to fetch OAuth2 token.', data: {} });
      idp.nextAudience = 'someone-else';
      const aud = await signIn('users', await consent('users', { sub: 'sub-x', email: 'x@example.com' }));
      assert.deepEqual(aud.body, { status: 400, message: 'Failed to fetch OAuth2 user.', data: {} });
      const off = await signIn('plain', { provider: 'oidc', code: 'x' });
      assert.deepEqual(off.body, {
        status: 403,
        message: 'The collection is not configured to allow OAuth2 authentication.',
        data: {},
      });
      // staff: explicit endpoints work, but its createRule lets nobody sign up
      const staff = await signIn(
        'staff',
        await consent('staff', { sub: 'sub-s', email: 's@example.com', email_verified: true }),
      );
      assert.equal(staff.status, 403);
      await t.request('POST', '/api/collections/staff/records', {
        token: 'superuser',
        body: {
          email: 's@example.com',
          password: USER_PASSWORD,
          passwordConfirm: USER_PASSWORD,
          verified: true,
        },
      });
      const member = await signIn(
        'staff',
        await consent('staff', { sub: 'sub-s', email: 's@example.com', email_verified: true }),
      );
      assert.equal(member.status, 200, JSON.stringify(member.body));
      assert.equal(member.body.record.email, 's@example.com');
    });

    test('saving the collection back without the secret keeps it', async () => {
      const col = await t.request('GET', '/api/collections/staff', { token: 'superuser' });
      const providers = col.body.oauth2.providers.map((p: Record<string, unknown>) => ({
        ...p,
        displayName: 'Staff SSO',
      }));
      const upd = await t.request('PATCH', '/api/collections/staff', {
        token: 'superuser',
        body: { oauth2: { providers } },
      });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.equal(upd.body.oauth2.providers[0].clientSecret, undefined);
      const methods = await t.request('GET', '/api/collections/staff/auth-methods');
      assert.equal(methods.body.oauth2.providers[0].displayName, 'Staff SSO');
      // the token exchange still authenticates with the stored secret
      const res = await signIn(
        'staff',
        await consent('staff', { sub: 'sub-s', email: 's@example.com', email_verified: true }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    test('an anonymous record signed in with OAuth2 becomes that identity, keeping its id', async () => {
      await t.createCollection({
        name: 'guests',
        type: 'auth',
        createRule: '',
        fields: [{ name: 'email', type: 'email', required: false }],
        anonymousAuth: { enabled: true },
        oauth2: {
          enabled: true,
          providers: [
            { name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, issuer: idp.issuer },
          ],
        },
      });
      const anon = await t.request('POST', '/api/collections/guests/auth-anonymously', { body: {} });
      assert.equal(anon.status, 200, JSON.stringify(anon.body));
      const user = { sub: 'sub-guest', email: 'guest@example.com', email_verified: true };
      const res = await signIn('guests', await consent('guests', user), anon.body.token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.record.id, anon.body.record.id);
      assert.equal(res.body.record.email, 'guest@example.com');
      assert.equal(res.body.record.verified, true);
      // no longer anonymous
      const up = await t.request('POST', '/api/collections/guests/upgrade-anonymous', {
        token: res.body.token,
        body: { email: 'x@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
      });
      assert.equal(up.body.message, 'The signed-in record is not anonymous.');
      const again = await signIn('guests', await consent('guests', user));
      assert.equal(again.body.record.id, anon.body.record.id);
    });

    test('the PocketBase SDK signs in with authWithOAuth2Code', async () => {
      const pb = new PocketBase(t.url);
      const methods = await pb.collection('users').listAuthMethods();
      const p = methods.oauth2.providers[0]!;
      const back = await idp.authorize(p.authURL + encodeURIComponent(REDIRECT), {
        sub: 'sub-sdk',
        email: 'sdk@example.com',
        email_verified: true,
      });
      const auth = await pb
        .collection('users')
        .authWithOAuth2Code(p.name, back.code, p.codeVerifier, REDIRECT, {
          name: 'Sdk',
        });
      assert.equal(auth.record.email, 'sdk@example.com');
      assert.equal(auth.meta?.isNew, true);
      assert.equal(pb.authStore.isValid, true);
    });
  });
}
