import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type App, createApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import type { Clock } from '../../src/tools/clock.ts';
import { schemaUrl } from './pg.ts';
import { testStorage } from './storage.ts';

export type Dialect = 'sqlite' | 'postgres';

/** Every data-layer and HTTP suite runs once per dialect: `for (const dialect of DIALECTS) describe(...)`. */
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export const SUPERUSER_EMAIL = 'root@example.com';
export const SUPERUSER_PASSWORD = 'root-password-123';

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON; undefined when empty. */
  body: any;
}

export interface RequestOptions {
  body?: unknown;
  /** An auth token; `'superuser'` uses the suite's superuser token. */
  token?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: App;
  dialect: Dialect;
  url: string;
  dir: string;
  config: Config;
  superuserToken: string;
  /** Sends a real HTTP request to the listening server. */
  request(method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  /**
   * Creates a collection as the superuser (POST /api/collections) for a suite's setup and
   * returns the created collection; throws with the response body unless the answer is 200.
   */
  createCollection(def: Record<string, unknown>): Promise<any>;
  /** Stops the server and removes its data (temp dir, PostgreSQL schema). */
  close(): Promise<void>;
}

/** Logs nowhere (tests keep stdout for the test runner). */
export const silentLogger = () =>
  createLogger(
    'silent',
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );

/** Config for a test app on a temp dir (SQLite) or a fresh schema (PostgreSQL). */
export function testConfig(
  dialect: Dialect,
  dir: string,
  schema: string,
  overrides: Partial<Config> = {},
): Config {
  return loadConfig(
    {
      http: '127.0.0.1:0',
      dataDir: join(dir, 'fb_data'),
      migrationsDir: join(dir, 'fb_migrations'),
      logRequests: false,
      // the suite sends many requests from 127.0.0.1; rate limit tests turn them on
      rateLimitsEnabled: false,
      ...(dialect === 'postgres' ? { db: schemaUrl(schema) } : {}),
      ...overrides,
    },
    {},
    dir,
  );
}

/**
 * Starts a real ForgeBase on a random port with its own temp dir (and, for PostgreSQL,
 * its own schema), creates a superuser and signs it in. `opts.clock` replaces the system
 * clock (see support/clock.ts); `opts.logger` receives the app's logs (silent otherwise).
 */
export async function startTestApp(
  dialect: Dialect,
  overrides: Partial<Config> = {},
  opts: { clock?: Clock; logger?: Logger } = {},
): Promise<TestApp> {
  const storage = testStorage(dialect);
  const { dir } = storage;
  const config = testConfig(dialect, dir, storage.schema, overrides);
  const app = await createApp(config, { logger: silentLogger(), ...opts });
  let superuserToken = '';
  let url = '';
  const request = makeRequester(
    () => url,
    () => superuserToken,
  );
  try {
    url = await app.start();
    await app.records.asSystem().create('_superusers', {
      email: SUPERUSER_EMAIL,
      password: SUPERUSER_PASSWORD,
      passwordConfirm: SUPERUSER_PASSWORD,
    });
    const auth = await request('POST', '/api/collections/_superusers/auth-with-password', {
      body: { identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD },
    });
    if (auth.status !== 200) throw new Error(`superuser sign-in failed: ${JSON.stringify(auth.body)}`);
    superuserToken = auth.body.token;
  } catch (e) {
    // a half-started app would keep the test process alive: the file would hang, not fail
    await app.stop().catch(() => {});
    await storage.remove().catch(() => {});
    throw e;
  }
  return {
    app,
    dialect,
    url,
    dir,
    config,
    superuserToken,
    request,
    async createCollection(def) {
      const res = await request('POST', '/api/collections', { token: 'superuser', body: def });
      if (res.status !== 200) {
        throw new Error(
          `creating collection ${String(def.name)} failed (${res.status}): ${JSON.stringify(res.body)}`,
        );
      }
      return res.body;
    },
    async close() {
      await app.stop();
      await storage.remove();
    },
  };
}

/** A `request` function bound to a base URL (or a function giving it, once known). */
export function makeRequester(url: string | (() => string), superuserToken: () => string) {
  return async function request(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<TestResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = opts.token === 'superuser' ? superuserToken() : opts.token;
    let body: FormData | string | undefined;
    if (opts.body instanceof FormData || typeof opts.body === 'string') body = opts.body;
    else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const base = typeof url === 'function' ? url() : url;
    const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
}
