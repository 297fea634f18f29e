import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type App, createApp } from '../../server/src/app.ts';
import { DIALECTS, silentLogger, testConfig } from '../../server/test/support/app.ts';
import { testStorage } from '../../server/test/support/storage.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHOTS = join(ROOT, 'test-results');
const EMAIL = 'owner@example.com';
const PASSWORD = 'owner-password-1';

/** Builds the dashboard's current sources (not a stale dist/) into a temp dir. */
async function buildDashboard(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ root: ROOT, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
}

/** A GET whose path goes out byte for byte (no URL normalisation), answering the body. */
function rawGet(url: string): Promise<string> {
  const { host, pathname } = new URL(url);
  const path = url.slice(url.indexOf(host) + host.length) || pathname;
  return new Promise((resolve, reject) => {
    get({ host: new URL(url).hostname, port: new URL(url).port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** A 1×1 PNG, for the upload and its thumbnail. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Opens the dashboard and signs in as the suite's superuser (created by the install test). */
async function signInOn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/_/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Collections' }).waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the dashboard at /_/', { skip: SKIP }, () => {
  let browser: Browser;
  let dist: string;
  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'fb-dashboard-'));
    await buildDashboard(dist);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('initial JS stays under 150 KB gzipped', () => {
    const assets = join(dist, 'assets');
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const entry = /src="\/_\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    assert.ok(entry, html);
    const size = gzipSync(readFileSync(join(assets, entry))).length;
    assert.ok(size < 150 * 1024, `${entry} is ${size} bytes gzipped`);
    assert.ok(
      readdirSync(assets).every((f) => /-[\w-]{8}\.(js|css)$/.test(f)),
      'every asset name is hashed',
    );
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let app: App;
      let url: string;
      let storage: ReturnType<typeof testStorage>;
      before(async () => {
        storage = testStorage(dialect, 'fb-dash-');
        const config = testConfig(dialect, storage.dir, storage.schema, { dashboardDir: dist });
        app = await createApp(config, { logger: silentLogger() });
        url = await app.start();
      });
      after(async () => {
        await app.stop();
        await storage.remove();
      });

      test('serves the build: hashed assets cached for good, index.html revalidated, every path the SPA', async () => {
        const moved = await fetch(`${url}/_`, { redirect: 'manual' });
        assert.equal(moved.status, 301);
        assert.equal(moved.headers.get('location'), '/_/');
        const index = await fetch(`${url}/_/`);
        assert.equal(index.status, 200);
        assert.equal(index.headers.get('cache-control'), 'no-cache');
        assert.match(index.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
        const html = await index.text();
        const asset = /src="(\/_\/assets\/[^"]+\.js)"/.exec(html)?.[1];
        assert.ok(asset);
        const js = await fetch(`${url}${asset}`);
        assert.equal(js.status, 200);
        assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
        const deep = await fetch(`${url}/_/collections/some/where`);
        assert.equal(await deep.text(), html);
        const missing = await fetch(`${url}/_/assets/nope-12345678.js`);
        assert.equal(missing.status, 404);
        assert.equal(((await missing.json()) as { status: number }).status, 404);
        // a path that climbs out of the build (sent as is: fetch would resolve the dots) answers
        // the page, never a file beside the build
        assert.equal(await rawGet(`${url}/_/%2e%2e/package.json`), html);
      });

      test('install → collections → reload → sign out → sign in, as a keyboard and screen reader user would', async () => {
        const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
        try {
          await page.goto(`${url}/_/#/install?token=${app.auth.installToken}`);
          await page.getByRole('heading', { name: 'Create the first superuser' }).waitFor();
          await shot(page, `${dialect}-install`);
          await page.getByLabel('Email').fill(EMAIL);
          await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
          await page.getByLabel('Confirm password').fill('something-else-1');
          await page.getByRole('button', { name: 'Create and sign in' }).click();
          // the server's field error is shown next to its field
          await page
            .getByText(/passwordConfirm|match/i)
            .first()
            .waitFor();
          await page.getByLabel('Confirm password').fill(PASSWORD);
          await page.getByLabel('Confirm password').press('Enter');

          await page.getByRole('heading', { name: 'Collections' }).waitFor();
          await page
            .getByRole('navigation', { name: 'Main' })
            .getByRole('link', { name: 'Collections' })
            .waitFor();
          assert.equal(await page.getByRole('row', { name: /_superusers/ }).count(), 0, 'system ones hidden');
          await page.getByLabel('Show system collections').check();
          await page.getByRole('row', { name: /_superusers/ }).waitFor();
          await page.getByLabel('Search collections').fill('otp');
          await page.getByRole('row', { name: /_otps/ }).waitFor();
          assert.equal(await page.getByRole('row', { name: /_superusers/ }).count(), 0);
          await shot(page, `${dialect}-collections`);

          // a reload keeps the session (stored, then refreshed with the server)
          await page.reload();
          await page.getByRole('heading', { name: 'Collections' }).waitFor();
          await page.getByText(EMAIL).waitFor();

          await page.getByRole('button', { name: 'Sign out' }).click();
          await page.getByRole('heading', { name: 'Sign in' }).waitFor();
          await page.getByLabel('Email').fill(EMAIL);
          await page.getByLabel('Password').fill('wrong-password-1');
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.getByRole('alert').waitFor();
          assert.match((await page.getByRole('alert').textContent()) ?? '', /authenticate/i);
          await shot(page, `${dialect}-signin-error`);
          await page.getByLabel('Password').fill(PASSWORD);
          await page.getByLabel('Password').press('Enter');
          await page.getByRole('heading', { name: 'Collections' }).waitFor();

          // the install link is spent: it cannot make a second superuser
          const again = await browser.newPage();
          await again.goto(`${url}/_/#/install?token=${app.auth.installToken}`);
          await again.getByLabel('Email').fill('second@example.com');
          await again.getByLabel('Password', { exact: true }).fill(PASSWORD);
          await again.getByLabel('Confirm password').fill(PASSWORD);
          await again.getByRole('button', { name: 'Create and sign in' }).click();
          await again.getByRole('alert').waitFor();
          await again.close();
          const superusers = await app.records.asSystem().list('_superusers', {});
          assert.deepEqual(
            superusers.items.map((s) => s.email),
            [EMAIL],
          );
        } finally {
          await page.close();
        }
      });

      test('a collection with several field types and rules, its records added, edited, filtered, deleted, a file and a live record', async () => {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        page.on('dialog', (d) => void d.accept());
        try {
          await signInOn(page, url);
          await page.getByRole('link', { name: 'New collection' }).click();
          await page.getByRole('heading', { name: 'New collection' }).waitFor();
          await page.getByLabel('Name', { exact: true }).fill('notes');
          const addField = async (type: string, name: string) => {
            await page.getByLabel('New field type').selectOption(type);
            await page.getByRole('button', { name: 'Add field' }).click();
            await page.getByLabel('Field name').last().fill(name);
          };
          await addField('text', 'title');
          await page.getByRole('group', { name: 'Field title' }).getByLabel('Required').check();
          await addField('number', 'count');
          await addField('bool', 'done');
          await addField('select', 'kind');
          await page
            .getByRole('group', { name: 'Field kind' })
            .getByLabel('Values (comma separated)')
            .fill('idea, task');
          await addField('file', 'photo');
          // a rule the server refuses is reported, and nothing is created
          await page.getByLabel('Lock list rule').uncheck();
          await page.getByLabel('List rule', { exact: true }).fill('nosuchfield = 1');
          await page.getByRole('button', { name: 'Create collection' }).click();
          await page.getByRole('alert').waitFor();
          await page.getByLabel('List rule', { exact: true }).fill('');
          await page.getByLabel('Lock view rule').uncheck();
          await page.getByRole('button', { name: 'Create collection' }).click();
          await page.getByRole('heading', { name: /^notes/ }).waitFor();
          const notes = await app.collections.get('notes');
          assert.deepEqual([notes.listRule, notes.viewRule, notes.createRule], ['', '', null]);
          await shot(page, `${dialect}-collection-new`);

          // add two records through the form, one with a file
          for (const [title, count] of [
            ['first note', '3'],
            ['second note', '7'],
          ] as const) {
            await page.getByRole('button', { name: 'New record' }).click();
            const form = page.getByRole('form', { name: 'New record' });
            await form.getByLabel('title').fill(title);
            await form.getByLabel('count').fill(count);
            await form.getByLabel('kind').selectOption('task');
            if (title === 'first note')
              await form
                .getByLabel('photo')
                .setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
            await form.getByRole('button', { name: 'Create record' }).click();
            await page.getByRole('cell', { name: title }).waitFor();
          }
          const thumb = page.getByRole('img', { name: /^dot.*\.png$/ });
          await thumb.waitFor();
          await page.waitForFunction(
            '[...document.querySelectorAll("img.thumb")].some((i) => i.naturalWidth > 0)',
          );

          // edit one
          const first = (await app.records.asSystem().list('notes', { filter: "title = 'first note'" }))
            .items[0] as {
            id: string;
          };
          await page.getByRole('button', { name: `Edit ${first.id}` }).click();
          const edit = page.getByRole('form', { name: `Edit record ${first.id}` });
          await edit.getByLabel('title').fill('first note, edited');
          await edit.getByLabel('done').check();
          await edit.getByRole('button', { name: 'Save record' }).click();
          await page.getByRole('cell', { name: 'first note, edited' }).waitFor();
          const edited = await app.records.asSystem().view('notes', first.id);
          assert.equal(edited.done, true);

          // filter, and a filter the server refuses
          await page.getByLabel('Filter').fill('count > 5');
          await page.getByRole('button', { name: 'Apply filter' }).click();
          await page.getByRole('cell', { name: 'first note, edited' }).waitFor({ state: 'detached' });
          await page.getByRole('cell', { name: 'second note' }).waitFor();
          await page.getByLabel('Filter').fill('count >');
          await page.getByRole('button', { name: 'Apply filter' }).click();
          await page.getByRole('alert').waitFor();
          await page.getByLabel('Filter').fill('');
          await page.getByRole('button', { name: 'Apply filter' }).click();
          await page.getByRole('cell', { name: 'first note, edited' }).waitFor();

          // a record another client creates appears without a reload
          await app.records.asSystem().create('notes', { title: 'from another client', count: 1 });
          await page.getByRole('cell', { name: 'from another client' }).waitFor();
          await shot(page, `${dialect}-records`);

          // delete (the confirmation is accepted)
          const second = (await app.records.asSystem().list('notes', { filter: "title = 'second note'" }))
            .items[0] as {
            id: string;
          };
          await page.getByRole('button', { name: `Delete ${second.id}` }).click();
          await page.getByRole('cell', { name: 'second note' }).waitFor({ state: 'detached' });
          const left = await app.records.asSystem().list('notes', { sort: 'title' });
          assert.deepEqual(
            left.items.map((r) => r.title),
            ['first note, edited', 'from another client'],
          );
        } finally {
          await page.close();
        }
      });

      test('usable at 375 px wide: nothing overflows sideways', async () => {
        const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
        try {
          await signInOn(page, url);
          const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
          assert.ok(width <= 375, `the page is ${width}px wide`);
          await shot(page, `${dialect}-collections-375px`);
        } finally {
          await page.close();
        }
      });
    });
  }
});
