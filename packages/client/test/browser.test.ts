import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createUser, createUsersCollection, USER_PASSWORD } from '../../server/test/support/auth-users.ts';
import { bundleClient } from '../scripts/build.ts';
import { DIALECTS, startTestApp, type TestApp } from './support/server.ts';

// The built bundle in a real browser (Debian's Chromium): sign in, list, subscribe over the WebSocket.
const CHROMIUM = '/usr/bin/chromium';
const SIGNED_IN = '@request.auth.id != ""';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;

/** The app page: its outcome lands in `window.outcome` (or `window.outcome.error`). */
function pageHtml(api: string, email: string): string {
  return `<!doctype html><meta charset="utf-8"><title>app</title>
<script type="module">
import { ForgeBase, ClientError } from '/forgebase.min.js';
try {
  const fb = new ForgeBase(${JSON.stringify(api)});
  await fb.collection('users').authWithPassword(${JSON.stringify(email)}, ${JSON.stringify(USER_PASSWORD)});
  const posts = await fb.collection('posts').getFullList({ sort: 'title' });
  let onEvent;
  const created = new Promise((resolve) => { onEvent = resolve; });
  await fb.collection('posts').subscribe('*', (e) => onEvent(e.action + ':' + e.record.title));
  const wrong = await fb.collection('posts').getOne('nope').catch((e) => e instanceof ClientError && e.code);
  // the page's own write comes back over the socket
  await fb.collection('posts').create({ title: 'live' });
  window.outcome = {
    listed: posts.map((p) => p.title),
    event: await created,
    user: fb.authStore.record.email,
    websocket: Boolean(fb.realtime.socket && fb.realtime.socket.connected),
    persisted: JSON.parse(localStorage.getItem('forgebase_auth')).token === fb.authStore.token,
    wrong,
  };
} catch (e) {
  window.outcome = { error: String((e && e.message) || e) };
}
</script>`;
}

/** The app's own origin: the page and the bundle. */
async function servePage(html: string, bundle: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const js = req.url === '/forgebase.min.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(js ? bundle : html);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${addr.port}/` };
}

describe('the bundle in Chromium', { skip: SKIP }, () => {
  let browser: Browser;
  let bundle: string;
  before(async () => {
    bundle = (await bundleClient()).code;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
  });
  after(() => browser?.close());

  for (const dialect of DIALECTS) {
    test(`signs in, lists and subscribes from another origin (${dialect})`, { timeout: 60_000 }, async () => {
      const t: TestApp = await startTestApp(dialect);
      await createUsersCollection(t);
      const user = await createUser(t, 'browser@example.com');
      await t.createCollection({
        name: 'posts',
        ...Object.fromEntries(['listRule', 'viewRule', 'createRule'].map((r) => [r, SIGNED_IN])),
        fields: [{ name: 'title', type: 'text' }],
      });
      for (const title of ['first', 'second'])
        await t.request('POST', '/api/collections/posts/records', { token: 'superuser', body: { title } });
      const page = await servePage(pageHtml(t.url, user.email), bundle);
      const tab = await browser.newPage();
      try {
        await tab.goto(page.url);
        const outcome = await tab.waitForFunction(() => (globalThis as any).outcome, null, {
          timeout: 30_000,
        });
        assert.deepEqual(await outcome.jsonValue(), {
          listed: ['first', 'second'],
          event: 'create:live',
          user: user.email,
          websocket: true,
          persisted: true,
          wrong: 'not_found',
        });
      } finally {
        await tab.close();
        page.server.close();
        await t.close();
      }
    });
  }
});
