import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD } from '../support/app.ts';
import { dataArgs, killServer, runCli, type ServerProcess, spawnServer } from '../support/server-process.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

const WORKERS = 16;
const MAX_PER_WORKER = 200;
/** The server is killed once this many creates were acknowledged. */
const KILL_AFTER = 150;

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/** Every record of a collection, page by page (bounded). */
async function listAll(url: string, token: string, collection: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let page = 1; page <= 100; page++) {
    const res = await fetch(`${url}/api/collections/${collection}/records?perPage=500&page=${page}&sort=id`, {
      headers: { authorization: token },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { items: { id: string; title: string }[]; totalPages: number };
    for (const r of body.items) found.set(r.id, r.title);
    if (page >= body.totalPages) return found;
  }
  throw new Error('too many pages');
}

for (const dialect of DIALECTS) {
  describe(`crash safety (${dialect})`, () => {
    let storage: TestStorage | undefined;
    let dir = '';
    let args: string[] = [];
    let server: ServerProcess | undefined;

    before(async () => {
      storage = testStorage(dialect, 'fb-crash-');
      dir = storage.dir;
      args = dataArgs(dialect, dir, storage.schema);
      const cli = await runCli(['superuser', 'upsert', SUPERUSER_EMAIL, SUPERUSER_PASSWORD, ...args], dir);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(cli.stdout, `Superuser ${SUPERUSER_EMAIL} created.\n`);
    });
    after(async () => {
      await killServer(server);
      await storage?.remove();
    });

    test('every acknowledged create survives kill -9 mid-stream', { timeout: 90_000 }, async () => {
      server = await spawnServer(args, dir);
      const token = await signIn(server.url);
      const coll = await fetch(`${server.url}/api/collections`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: token },
        body: JSON.stringify({ name: 'events', fields: [{ name: 'title', type: 'text', required: true }] }),
      });
      assert.equal(coll.status, 200, await coll.text());

      const acked = new Map<string, string>();
      let failed = 0;
      let killed = false;
      const { url, child } = server;
      const worker = async (w: number) => {
        for (let i = 0; i < MAX_PER_WORKER; i++) {
          const title = `w${w}-${i}`;
          try {
            const res = await fetch(`${url}/api/collections/events/records`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: token },
              body: JSON.stringify({ title }),
            });
            const body = (await res.json()) as { id: string; title: string };
            assert.equal(res.status, 200, JSON.stringify(body));
            assert.equal(body.title, title);
            acked.set(body.id, title);
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            failed++; // the connection died with the server: this create was never acknowledged
            return;
          }
          if (!killed && acked.size >= KILL_AFTER) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      assert.equal(killed, true, 'the server was never killed');
      assert.deepEqual(await server.exited, { code: null, signal: 'SIGKILL' });
      // the kill really happened mid-stream: requests were in flight or about to be sent
      assert.ok(failed > 0);
      assert.ok(acked.size >= KILL_AFTER);

      server = await spawnServer(args, dir);
      const found = await listAll(server.url, await signIn(server.url), 'events');
      const missing = [...acked.keys()].filter((id) => found.get(id) !== acked.get(id));
      assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged records were lost`);
      // nothing appeared that no worker sent
      for (const title of found.values()) assert.match(title, /^w\d+-\d+$/);

      server.child.kill('SIGTERM');
      assert.deepEqual(await server.exited, { code: 0, signal: null });
    });
  });
}
