import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type App, createApp } from '../../server/src/app.ts';
import { DIALECTS, silentLogger, type TestApp, testConfig } from '../../server/test/support/app.ts';
import { backupsIdle } from '../../server/test/support/backups.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../../server/test/support/smtp.ts';
import { testStorage } from '../../server/test/support/storage.ts';
import { buildDashboard, launchBrowser, SKIP, shot, signInOn } from './support/browser.ts';

const EMAIL = 'ops@example.com';
const PASSWORD = 'ops-password-1';
/** A bounded wait for what the server does in the background. */
const WITHIN_MS = 15_000;

/** Resolves when `promise` does, rejects after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The JSON bodies of the page's requests to `method path`, as they are sent. */
function bodiesOf(page: Page, method: string, path: string): unknown[] {
  const seen: unknown[] = [];
  page.on('request', (r) => {
    if (r.method() === method && new URL(r.url()).pathname === path) seen.push(r.postDataJSON());
  });
  return seen;
}

describe('the dashboard operations screens', { skip: SKIP }, () => {
  let browser: Browser;
  let dist: string;
  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'fb-dashboard-ops-'));
    await buildDashboard(dist);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let app: App;
      let url: string;
      let smtp: SmtpCatcher;
      let storage: ReturnType<typeof testStorage>;
      let cronRan: Promise<void>;
      let token = '';
      /** The settings as the server keeps them (read over HTTP, as a superuser). */
      const settingsNow = async () =>
        (await (await fetch(`${url}/api/settings`, { headers: { authorization: token } })).json()) as any;
      before(async () => {
        smtp = await startSmtpCatcher();
        storage = testStorage(dialect, 'fb-dash-ops-');
        const config = testConfig(dialect, storage.dir, storage.schema, { dashboardDir: dist });
        app = await createApp(config, { logger: silentLogger() });
        // a job that never comes due on its own: only "Run now" starts it
        cronRan = new Promise((resolve) =>
          app.crons.add('dashboard_probe', '0 0 1 1 *', async () => resolve()),
        );
        url = await app.start();
        await app.records
          .asSystem()
          .create('_superusers', { email: EMAIL, password: PASSWORD, passwordConfirm: PASSWORD });
        const auth = await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ identity: EMAIL, password: PASSWORD }),
        });
        token = ((await auth.json()) as { token: string }).token;
      });
      after(async () => {
        await app.stop();
        await storage.remove();
        await smtp.close();
      });

      test('change a setting → create and download a backup → read the request log → run a cron → add and remove a superuser', async () => {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const nav = page.getByRole('navigation', { name: 'Main' });
        try {
          await signInOn(page, url, EMAIL, PASSWORD);

          // settings: the mail section alone is saved, then a test email goes out through it
          const patches = bodiesOf(page, 'PATCH', '/api/settings');
          await nav.getByRole('link', { name: 'Settings' }).click();
          const mail = page.getByRole('form', { name: 'Mail' });
          await mail.waitFor();
          await mail.getByLabel('Send mail through SMTP').check();
          await mail.getByLabel('SMTP host').fill('127.0.0.1');
          await mail.getByLabel('SMTP port').fill(String(smtp.port));
          await mail.getByLabel('SMTP password').fill('smtp-secret-1');
          await mail.getByRole('button', { name: 'Save mail' }).click();
          await mail.getByRole('status').getByText('Mail saved.').waitFor();
          assert.deepEqual(
            patches.map((p) => Object.keys(p as object)),
            [['smtp']],
          );
          const stored = await settingsNow();
          assert.equal(stored.smtp.host, '127.0.0.1');
          assert.equal(stored.smtp.port, smtp.port);
          // the secret is never shown back: the field is empty again after saving
          assert.equal(await mail.getByLabel('SMTP password').inputValue(), '');
          await mail.getByRole('button', { name: 'Send test email' }).click();
          const sent = await within(smtp.waitForMail(EMAIL, WITHIN_MS), WITHIN_MS, 'the test email');
          assert.deepEqual(sent.to, [EMAIL]);
          await mail.getByText(`Test email sent to ${EMAIL}.`).waitFor();
          // the S3 test of a bucket that is not set up: the server's refusal is shown
          const files = page.getByRole('form', { name: 'File storage' });
          await files.getByRole('button', { name: 'Test files S3' }).click();
          await files.getByRole('alert').waitFor();
          // a value the server refuses is reported with the section, nothing saved
          const schedule = page.getByRole('form', { name: 'Backups' });
          await schedule.getByLabel('Backup schedule (cron, empty for never)').fill('every day');
          await schedule.getByRole('button', { name: 'Save backups' }).click();
          await schedule.getByRole('alert').waitFor();
          assert.equal((await settingsNow()).backups.cron, '');
          await shot(page, `${dialect}-settings`);

          // backups: create one with a name, download it, upload a copy, a refused restore, delete
          await nav.getByRole('link', { name: 'Backups' }).click();
          await page.getByRole('heading', { name: 'Backups' }).waitFor();
          await page.getByText('No scheduled backups.').waitFor();
          await page.getByLabel('Backup name (optional)').fill('from_dashboard.zip');
          await page.getByRole('button', { name: 'Create backup' }).click();
          await page.getByRole('rowheader', { name: 'from_dashboard.zip' }).waitFor();
          const downloading = page.waitForEvent('download');
          await page.getByRole('button', { name: 'Download from_dashboard.zip' }).click();
          const download = await downloading;
          assert.equal(download.suggestedFilename(), 'from_dashboard.zip');
          const zip = readFileSync((await download.path()) as string);
          assert.equal(zip.subarray(0, 2).toString(), 'PK', 'a zip file');
          await page.getByLabel('Backup file').setInputFiles({
            name: 'uploaded_copy.zip',
            mimeType: 'application/zip',
            buffer: zip,
          });
          await page.getByRole('button', { name: 'Upload backup' }).click();
          await page.getByRole('rowheader', { name: 'uploaded_copy.zip' }).waitFor();
          page.once('dialog', (d) => void d.dismiss());
          await page.getByRole('button', { name: 'Restore uploaded_copy.zip' }).click();
          assert.equal(app.backups.isRestoring(), false, 'a dismissed confirmation restores nothing');
          await shot(page, `${dialect}-backups`);
          page.once('dialog', (d) => void d.accept());
          await page.getByRole('button', { name: 'Delete uploaded_copy.zip' }).click();
          await page.getByRole('rowheader', { name: 'uploaded_copy.zip' }).waitFor({ state: 'detached' });
          assert.deepEqual(
            (await app.backups.list()).map((b) => b.key),
            ['from_dashboard.zip'],
          );

          // the request log: what the dashboard just did, one entry in detail, a refused filter
          await app.logs.flush();
          await nav.getByRole('link', { name: 'Logs' }).click();
          await page.getByRole('heading', { name: /^Logs/ }).waitFor();
          await page.getByRole('img', { name: /Requests per hour: [1-9]\d* requests/ }).waitFor();
          // a page of 20, then the next one (the flow so far made more than 20 requests)
          await page.getByLabel('Entries per page').selectOption('20');
          await page.getByText(/^Page 1 of [2-9]/).waitFor();
          assert.equal(await page.getByRole('button', { name: 'View' }).count(), 20);
          await page.getByRole('button', { name: 'Next page' }).click();
          await page.getByText(/^Page 2 of/).waitFor();
          await page.getByLabel('Filter logs').fill("data.method = 'PATCH'");
          await page.getByRole('button', { name: 'Apply filter' }).click();
          await page
            .getByRole('row', { name: /GET \/api\/settings/ })
            .first()
            .waitFor({ state: 'detached' });
          const patchRow = page.getByRole('row', { name: /PATCH \/api\/settings/ });
          // the filtered page replaces the list once its answer is in: wait for both rows
          await patchRow.nth(1).waitFor();
          assert.equal(await patchRow.count(), 2, 'the saved and the refused PATCH');
          await patchRow.first().getByRole('button', { name: 'View' }).click();
          const entry = page.getByRole('region', { name: 'Log entry' });
          await entry.getByRole('heading', { name: 'PATCH /api/settings' }).waitFor();
          await entry.getByText('userAgent').waitFor();
          await page.getByLabel('Filter logs').fill('data.status >>> 1');
          await page.getByRole('button', { name: 'Apply filter' }).click();
          await page.getByRole('alert').waitFor();
          await shot(page, `${dialect}-logs`);

          // crons: the list, and "Run now" starts the job
          await nav.getByRole('link', { name: 'Crons' }).click();
          await page.getByRole('rowheader', { name: '__fbLogsCleanup__' }).waitFor();
          await page.getByRole('button', { name: 'Run dashboard_probe now' }).click();
          await within(cronRan, WITHIN_MS, 'the cron job');
          await page
            .getByRole('status')
            .getByText(/Started dashboard_probe/)
            .waitFor();
          await shot(page, `${dialect}-crons`);

          // superusers: a refused add, an add, a remove
          await nav.getByRole('link', { name: 'Superusers' }).click();
          await page.getByRole('rowheader', { name: new RegExp(EMAIL) }).waitFor();
          const add = page.getByRole('form', { name: 'Add a superuser' });
          await add.getByLabel('Email').fill('second@example.com');
          await add.getByLabel('Password', { exact: true }).fill('second-password-1');
          await add.getByLabel('Confirm password').fill('not-the-same-1');
          await add.getByRole('button', { name: 'Add superuser' }).click();
          await page
            .getByRole('alert')
            .getByText(/passwordConfirm/)
            .waitFor();
          await add.getByLabel('Confirm password').fill('second-password-1');
          await add.getByRole('button', { name: 'Add superuser' }).click();
          await page.getByRole('rowheader', { name: 'second@example.com' }).waitFor();
          await shot(page, `${dialect}-superusers`);
          page.once('dialog', (d) => void d.accept());
          await page.getByRole('button', { name: 'Remove second@example.com' }).click();
          await page.getByRole('rowheader', { name: 'second@example.com' }).waitFor({ state: 'detached' });
          // the last one stays: the server refuses, and says why
          page.once('dialog', (d) => void d.accept());
          await page.getByRole('button', { name: `Remove ${EMAIL}` }).click();
          await page
            .getByRole('alert')
            .getByText(/last owner/)
            .waitFor();
          const left = await app.records.asSystem().list('_superusers', {});
          assert.deepEqual(
            left.items.map((s) => s.email),
            [EMAIL],
          );
        } finally {
          await page.close();
        }
      });

      test('a restore, once confirmed, brings back what the backup holds', async () => {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        try {
          await signInOn(page, url, EMAIL, PASSWORD);
          await page.goto(`${url}/_/#/backups`);
          await page.getByLabel('Backup name (optional)').fill('before_rename.zip');
          await page.getByRole('button', { name: 'Create backup' }).click();
          await page.getByRole('rowheader', { name: 'before_rename.zip' }).waitFor();
          const named = (await settingsNow()).meta.appName;
          const renamed = await fetch(`${url}/api/settings`, {
            method: 'PATCH',
            headers: { authorization: token, 'content-type': 'application/json' },
            body: JSON.stringify({ meta: { appName: 'Renamed after the backup' } }),
          });
          assert.equal(renamed.status, 200);
          page.once('dialog', (d) => void d.accept());
          await page.getByRole('button', { name: 'Restore before_rename.zip' }).click();
          await page.getByRole('status').getByText('Restoring before_rename.zip').waitFor();
          await backupsIdle({ app } as TestApp);
          assert.equal((await settingsNow()).meta.appName, named);
        } finally {
          await page.close();
        }
      });

      test('every operations screen fits 375 px', async () => {
        // and in dark mode, which follows the system
        const page = await browser.newPage({ viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
        try {
          await signInOn(page, url, EMAIL, PASSWORD);
          for (const [path, heading] of [
            ['logs', /^Logs/],
            ['crons', 'Crons'],
            ['backups', 'Backups'],
            ['settings', 'Settings'],
            ['superusers', 'Superusers'],
          ] as const) {
            await page.goto(`${url}/_/#/${path}`);
            await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
            const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
            // names what sticks out, when something does
            const wide = await page.evaluate(
              '[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 376 && !e.parentElement.closest(".scroll")).slice(0, 5).map((e) => e.tagName + "." + e.className).join(", ")',
            );
            assert.ok(width <= 375, `#/${path} is ${width}px wide: ${wide}`);
          }
          await shot(page, `${dialect}-superusers-375px-dark`);
        } finally {
          await page.close();
        }
      });
    });
  }
});
