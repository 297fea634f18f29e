import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, type Dialect, SUPERUSER_EMAIL, SUPERUSER_PASSWORD } from '../support/app.ts';
import { SUPERUSERS_ONLY } from '../support/expect.ts';
import { dropSchema, newSchemaName, schemaUrl } from '../support/pg.ts';
import { killServer, runCli, type ServerProcess, spawnServer } from '../support/server-process.ts';

// `forgebase serve` as a real process: the first-start install token and graceful shutdown.

/** POSTs JSON with fetch and returns status and parsed body. */
async function post(
  url: string,
  body: unknown,
  authorization?: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const SUPERUSER = {
  email: SUPERUSER_EMAIL,
  password: SUPERUSER_PASSWORD,
  passwordConfirm: SUPERUSER_PASSWORD,
};

for (const dialect of DIALECTS) {
  describe(`serve process (${dialect})`, () => {
    let cwd = '';
    const schemas: string[] = [];
    const servers: ServerProcess[] = [];
    /** Flags for a fresh data set (a sub-directory, and its own schema on PostgreSQL). */
    const dataArgs = (name: string, d: Dialect = dialect) => {
      const schema = newSchemaName();
      schemas.push(schema);
      return [
        '--dir',
        join(cwd, name, 'fb_data'),
        '--migrations-dir',
        join(cwd, name, 'fb_migrations'),
        ...(d === 'postgres' ? ['--db', schemaUrl(schema)] : []),
      ];
    };
    const serve = async (args: string[]) => {
      const s = await spawnServer(args, cwd);
      servers.push(s);
      return s;
    };
    before(() => {
      cwd = mkdtempSync(join(tmpdir(), 'fb-serve-'));
    });
    after(async () => {
      for (const s of servers) await killServer(s);
      if (cwd) rmSync(cwd, { recursive: true, force: true });
      if (dialect === 'postgres') for (const s of schemas) await dropSchema(s);
    });

    test('first start prints a one-time install token that creates the first superuser only', async () => {
      const s = await serve(dataArgs('install'));
      const token = (await s.waitForOutput(/-H 'Authorization: ([\w-]+)'/))[1]!;
      const endpoint = `${s.url}/api/collections/_superusers/records`;

      assert.deepEqual(await post(endpoint, SUPERUSER, 'not-the-install-token'), {
        status: 403,
        body: SUPERUSERS_ONLY,
      });
      // the install token is no superuser token: it opens nothing else
      const other = await post(`${s.url}/api/collections`, { name: 'x' }, token);
      assert.equal(other.status, 401);

      const first = await post(endpoint, SUPERUSER, token);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.email, SUPERUSER_EMAIL);
      assert.equal(first.body.collectionName, '_superusers');
      const signIn = await post(`${s.url}/api/collections/_superusers/auth-with-password`, {
        identity: SUPERUSER_EMAIL,
        password: SUPERUSER_PASSWORD,
      });
      assert.equal(signIn.status, 200);

      const second = await post(endpoint, { ...SUPERUSER, email: 'second@example.com' }, token);
      assert.deepEqual(second, { status: 403, body: SUPERUSERS_ONLY });
      s.child.kill('SIGTERM');
      assert.deepEqual(await s.exited, { code: 0, signal: null });
    });

    describe('graceful shutdown', () => {
      let args: string[];
      let token: string;
      before(async () => {
        args = dataArgs('shutdown');
        const cli = await runCli(['superuser', 'upsert', SUPERUSER_EMAIL, SUPERUSER_PASSWORD, ...args], cwd);
        assert.equal(cli.code, 0, cli.stderr);
      });

      const signIn = async (s: ServerProcess) => {
        const res = await post(`${s.url}/api/collections/_superusers/auth-with-password`, {
          identity: SUPERUSER_EMAIL,
          password: SUPERUSER_PASSWORD,
        });
        assert.equal(res.status, 200);
        token = res.body.token;
      };

      test('SIGTERM lets an in-flight request finish on a keep-alive connection, then exits 0', async () => {
        const s = await serve(args);
        await signIn(s);
        const coll = await post(
          `${s.url}/api/collections`,
          { name: 'notes', fields: [{ name: 'title', type: 'text' }] },
          token,
        );
        assert.equal(coll.status, 200);

        // Expect: 100-continue tells us the server has the request before the body is sent
        const agent = new http.Agent({ keepAlive: true });
        const body = JSON.stringify({ title: 'in flight' });
        const req = http.request(`${s.url}/api/collections/notes/records`, {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: token,
            expect: '100-continue',
          },
        });
        const response = new Promise<{ status: number; connection: string | undefined; body: any }>(
          (resolve, reject) => {
            req.on('error', reject);
            req.on('response', (res) => {
              let text = '';
              res.on('data', (c) => {
                text += c;
              });
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  connection: res.headers.connection,
                  body: JSON.parse(text),
                }),
              );
            });
          },
        );
        req.on('continue', () => {
          s.child.kill('SIGTERM');
          s.waitForOutput(/"msg":"shutting down"/).then(() => req.end(body), req.destroy.bind(req));
        });
        req.flushHeaders();

        const res = await response;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.title, 'in flight');
        assert.equal(res.connection, 'close');
        assert.deepEqual(await s.exited, { code: 0, signal: null });
        agent.destroy();

        const again = await serve(args);
        const view = await fetch(`${again.url}/api/collections/notes/records/${res.body.id}`, {
          headers: { authorization: token },
        });
        assert.equal(view.status, 200);
        assert.deepEqual(await view.json(), res.body);
        again.child.kill('SIGTERM');
        assert.deepEqual(await again.exited, { code: 0, signal: null });
      });

      test('SIGTERM right after a write exits 0 and the data is intact on restart', async () => {
        const s = await serve(args);
        const created = await post(`${s.url}/api/collections/notes/records`, { title: 'last one' }, token);
        assert.equal(created.status, 200);
        s.child.kill('SIGTERM');
        assert.deepEqual(await s.exited, { code: 0, signal: null });

        const again = await serve(args);
        const list = await fetch(`${again.url}/api/collections/notes/records?sort=title`, {
          headers: { authorization: token },
        });
        const body = (await list.json()) as { items: { title: string }[]; totalItems: number };
        assert.deepEqual(
          body.items.map((r) => r.title),
          ['in flight', 'last one'],
        );
        again.child.kill('SIGTERM');
        assert.deepEqual(await again.exited, { code: 0, signal: null });
      });
    });
  });
}
