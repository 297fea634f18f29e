import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, which the browser tests drive headless. */
export const CHROMIUM = '/usr/bin/chromium';
/** The reason to skip a browser test (no Chromium), or false. */
export const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
/** The dashboard package's folder. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test-results');

/** Builds the dashboard's current sources (not a stale dist/) into a temp dir. */
export async function buildDashboard(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ root: ROOT, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
}

/** Starts headless Chromium the way every dashboard test does. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** Saves a full-page screenshot as `test-results/<name>.png`. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Opens the dashboard and signs in; resolves once the collections screen shows. */
export async function signInOn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/_/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Collections' }).waitFor();
}
