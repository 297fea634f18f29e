import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dialect, SUPERUSER_EMAIL, SUPERUSER_PASSWORD } from './app.ts';
import { dataArgs, runCli } from './server-process.ts';
import { type TestStorage, testStorage } from './storage.ts';

/** One JSON request to a server process (a spawned `forgebase serve`), with a token. */
export async function api(url: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: token },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Signs the suite's superuser in on a server process; returns its token. */
export async function signIn(url: string): Promise<string> {
  const res = await api(url, 'POST', '/api/collections/_superusers/auth-with-password', '', {
    identity: SUPERUSER_EMAIL,
    password: SUPERUSER_PASSWORD,
  });
  assert.equal(res.status, 200);
  return res.body.token;
}

/**
 * A data dir (and schema) for a spawned server with one functions module, and the suite's
 * superuser made through the CLI: what the kill -9 suites start from. Returns the storage
 * (remove it after) and the data flags for `spawnServer`.
 */
export async function prepareServerDir(
  dialect: Dialect,
  prefix: string,
  module: { file: string; source: string },
): Promise<{ storage: TestStorage; args: string[] }> {
  const storage = testStorage(dialect, prefix);
  const args = dataArgs(dialect, storage.dir, storage.schema);
  mkdirSync(join(storage.dir, 'fb_functions'));
  writeFileSync(join(storage.dir, 'fb_functions', module.file), module.source);
  const cli = await runCli(
    ['superuser', 'upsert', SUPERUSER_EMAIL, SUPERUSER_PASSWORD, ...args],
    storage.dir,
  );
  assert.equal(cli.code, 0, cli.stderr);
  return { storage, args };
}
