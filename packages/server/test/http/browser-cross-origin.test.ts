import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';

// A browser app on another origin uses the API through the official SDK's browser build:
// sign-in, a list, a realtime event (its UMD build, node_modules/pocketbase/dist). Chromium is Debian's (.ci/run installs it).
const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
const SDK_BUILD = createRequire(import.meta.url).resolve('pocketbase/umd');

/** The page: signs in, lists the posts, waits for one realtime create; the outcome lands in `window.outcome`. */
function pageHtml(api: string, email: string): string {
  return `<!doctype html><meta charset="utf-8"><title>app</title>
<script src="/pocketbase.umd.js"></script>
<script>
(async () => {
  const pb = new PocketBase(${JSON.stringify(api)});
  await pb.collection('users').authWithPassword(${JSON.stringify(email)}, ${JSON.stringify(USER_PASSWORD)});
  const posts = await pb.collection('posts').getFullList({ sort: 'title' });
  window.listed = posts.map((p) => p.title);
  let onEvent;
  const created = new Promise((resolve) => { onEvent = resolve; });
  await pb.collection('posts').subscribe('*', (e) => onEvent(e.action + ':' + e.record.title));
  window.subscribed = true;
  window.outcome = { listed: window.listed, event: await created, user: pb.authStore.record.email };
})().catch((e) => { window.outcome = { error: String(e && e.message || e), status: e && e.status } });
</script>`;
}

/** A tiny server for the app's own origin: the page and the SDK build. */
async function servePage(html: string): Promise<{ server: Server; url: string }> {
  const sdk = readFileSync(SDK_BUILD);
  const server = createServer((req, res) => {
    if (req.url === '/pocketbase.umd.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(sdk);
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${addr.port}/` };
}

async function setUp(t: TestApp): Promise<string> {
  await createUsersCollection(t);
  const user = await createUser(t, 'browser@example.com');
  await t.createCollection({
    name: 'posts',
    listRule: '@request.auth.id != ""',
    viewRule: '@request.auth.id != ""',
    fields: [{ name: 'title', type: 'text' }],
  });
  for (const title of ['first', 'second']) {
    const res = await t.request('POST', '/api/collections/posts/records', {
      token: 'superuser',
      body: { title },
    });
    assert.equal(res.status, 200);
  }
  return user.email;
}

describe('a browser app on another origin', { skip: SKIP }, () => {
  let browser: Browser;
  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(() => browser?.close());

  for (const dialect of DIALECTS) {
    test(`signs in, lists records and gets a realtime event through the SDK (${dialect})`, async () => {
      const t = await startTestApp(dialect);
      const email = await setUp(t);
      const page = await servePage(pageHtml(t.url, email));
      const tab = await browser.newPage();
      try {
        assert.notEqual(new URL(page.url).origin, new URL(t.url).origin);
        await tab.goto(page.url);
        await tab.waitForFunction(() => (globalThis as any).subscribed || (globalThis as any).outcome, null, {
          timeout: 20_000,
        });
        const res = await t.request('POST', '/api/collections/posts/records', {
          token: 'superuser',
          body: { title: 'live' },
        });
        assert.equal(res.status, 200);
        await tab.waitForFunction(() => (globalThis as any).outcome, null, { timeout: 20_000 });
        assert.deepEqual(await tab.evaluate(() => (globalThis as any).outcome), {
          listed: ['first', 'second'],
          event: 'create:live',
          user: email,
        });
      } finally {
        await tab.close();
        page.server.close();
        await t.close();
      }
    });
  }

  test('a page from an origin the server does not allow cannot read the answers', async () => {
    const t = await startTestApp('sqlite', { origins: ['https://only.example.com'] });
    const email = await setUp(t);
    const page = await servePage(pageHtml(t.url, email));
    const tab = await browser.newPage();
    try {
      await tab.goto(page.url);
      await tab.waitForFunction(() => (globalThis as any).outcome, null, { timeout: 20_000 });
      const outcome = await tab.evaluate(() => (globalThis as any).outcome);
      // the SDK's answer to a fetch the browser blocked
      assert.deepEqual(outcome, { error: 'Something went wrong.', status: 0 });
    } finally {
      await tab.close();
      page.server.close();
      await t.close();
    }
  });
});
