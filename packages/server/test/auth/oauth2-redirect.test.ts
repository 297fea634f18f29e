import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { ClientResponseError } from 'pocketbase';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { type OidcProvider, startOidcProvider } from '../support/oidc-provider.ts';
import { Inbox, sdk, TestEventSource } from '../support/realtime.ts';

const SUCCESS = 'Auth completed. You can close this window and go back to the app.';
const FAILURE = 'Failed to authenticate. You can close this window and go back to the app to try again.';

// The SDK's one-call OAuth2 sign-in: realtime `@oauth2` topic + /api/oauth2-redirect
for (const dialect of DIALECTS) {
  describe(`OAuth2 realtime redirect (${dialect})`, () => {
    let t: TestApp;
    let idp: OidcProvider;
    const clients: PocketBase[] = [];
    before(async () => {
      idp = await startOidcProvider();
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'users',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        fields: [{ name: 'name', type: 'text' }],
        oauth2: {
          enabled: true,
          mappedFields: { name: 'name' },
          providers: [
            { name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, issuer: idp.issuer },
          ],
        },
      });
    });
    after(async () => {
      for (const pb of clients) pb.realtime.unsubscribe().catch(() => {});
      await t.close();
      await idp.close();
    });

    test('authWithOAuth2({provider}) signs in through the redirect page', { timeout: 30_000 }, async () => {
      const pb = sdk(t.url);
      clients.push(pb);
      const pages: { status: number; type: string; body: string }[] = [];
      const auth = await pb.collection('users').authWithOAuth2({
        provider: 'oidc',
        urlCallback: async (url) => {
          assert.match(url, /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fapi%2Foauth2-redirect/);
          const back = await idp.authorize(url, {
            sub: 'sub-rt',
            email: 'rt@example.com',
            email_verified: true,
            name: 'Realtime',
          });
          const res = await fetch(`${back.redirect}?code=${back.code}&state=${back.state}`);
          pages.push({
            status: res.status,
            type: res.headers.get('content-type') ?? '',
            body: await res.text(),
          });
        },
      });
      assert.equal(auth.record.email, 'rt@example.com');
      assert.equal(auth.record.name, 'Realtime');
      assert.equal(auth.meta?.isNew, true);
      assert.equal(pb.authStore.token, auth.token);
      assert.deepEqual(pages, [{ status: 200, type: 'text/html; charset=utf-8', body: SUCCESS }]);
    });

    /** A raw SSE client subscribed to @oauth2: its id and the messages it gets. */
    const subscribed = async () => {
      const es = new TestEventSource(`${t.url}/api/realtime`);
      const ids = new Inbox<string>();
      const messages = new Inbox<unknown>();
      es.addEventListener('PB_CONNECT', (e) => ids.push(JSON.parse(e.data).clientId));
      es.addEventListener('@oauth2', (e) => messages.push(JSON.parse(e.data)));
      const clientId = await ids.next();
      const res = await t.request('POST', '/api/realtime', {
        body: { clientId, subscriptions: ['@oauth2'] },
      });
      assert.equal(res.status, 204);
      return { es, clientId, messages };
    };

    test('the form_post variant hands {state, code} over once; errors and unknown states fail', async () => {
      const { es, clientId, messages } = await subscribed();
      try {
        const post = await fetch(`${t.url}/api/oauth2-redirect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ state: clientId, code: 'the-code', extra: 'x' }).toString(),
        });
        assert.equal(post.status, 200);
        assert.equal(await post.text(), SUCCESS);
        assert.deepEqual(await messages.next(), { state: clientId, code: 'the-code' });
        // the subscription was spent: a second redirect with the same state fails
        const again = await fetch(`${t.url}/api/oauth2-redirect?state=${clientId}&code=other`);
        assert.equal(again.status, 200);
        assert.equal(await again.text(), FAILURE);
      } finally {
        es.close();
      }
      for (const q of ['', '?code=x', '?state=unknown&code=x']) {
        const res = await fetch(`${t.url}/api/oauth2-redirect${q}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
        assert.equal(await res.text(), FAILURE);
      }
    });

    test('a provider error reaches the SDK, which rejects; the page says it failed', {
      timeout: 30_000,
    }, async () => {
      const { es, clientId, messages } = await subscribed();
      try {
        const res = await fetch(`${t.url}/api/oauth2-redirect?state=${clientId}&error=access_denied`);
        assert.equal(await res.text(), FAILURE);
        assert.deepEqual(await messages.next(), { state: clientId, code: '', error: 'access_denied' });
      } finally {
        es.close();
      }
      const pb = sdk(t.url);
      clients.push(pb);
      await assert.rejects(
        pb.collection('users').authWithOAuth2({
          provider: 'oidc',
          urlCallback: async (url) => {
            const state = new URL(url).searchParams.get('state');
            await fetch(`${t.url}/api/oauth2-redirect?state=${state}&error=access_denied`);
          },
        }),
        (e: unknown) => e instanceof ClientResponseError && /access_denied/.test(String(e.originalError)),
      );
    });
  });
}

// behind a load balancer the redirect may reach another node than the realtime connection
describe('OAuth2 realtime redirect across two nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  let urlB = '';
  before(async () => {
    t = await startTestApp('postgres');
    nodeB = await createApp(t.config, { logger: silentLogger() });
    urlB = await nodeB.start();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
  });

  test('a redirect to node A reaches the client connected to node B, once', async () => {
    const es = new TestEventSource(`${urlB}/api/realtime`);
    try {
      const ids = new Inbox<string>();
      const messages = new Inbox<unknown>();
      es.addEventListener('PB_CONNECT', (e) => ids.push(JSON.parse(e.data).clientId));
      es.addEventListener('@oauth2', (e) => messages.push(JSON.parse(e.data)));
      const clientId = await ids.next();
      const sub = await fetch(`${urlB}/api/realtime`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId, subscriptions: ['@oauth2'] }),
      });
      assert.equal(sub.status, 204);
      const res = await fetch(`${t.url}/api/oauth2-redirect?state=${clientId}&code=cross-node`);
      assert.equal(await res.text(), SUCCESS);
      assert.deepEqual(await messages.next(), { state: clientId, code: 'cross-node' });
      // spent on node B: node A hears no acknowledgement the second time
      const again = await fetch(`${t.url}/api/oauth2-redirect?state=${clientId}&code=again`);
      assert.equal(await again.text(), FAILURE);
    } finally {
      es.close();
    }
  });
});
