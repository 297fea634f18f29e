import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const INVALID = 'An error occurred while validating the submitted data.';

// the management API: PocketBase-shaped answers and errors, superusers or a `databases` API key
for (const dialect of DIALECTS) {
  describe(`databases management API (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('create, list, view and delete a database', async () => {
      const created = await t.request('POST', '/api/databases', {
        token: 'superuser',
        body: { name: 'shop', maxRows: 500 },
      });
      assert.equal(created.status, 200);
      const { created: when, size, node, ...rest } = created.body;
      assert.match(when, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(size > 0);
      assert.equal(typeof node, 'string');
      assert.deepEqual(rest, {
        name: 'shop',
        maxSizeBytes: 1024 ** 3,
        statementTimeoutMs: 5000,
        maxRows: 500,
        idleTransactionMs: 10000,
      });
      await t.request('POST', '/api/databases', { token: 'superuser', body: { name: 'a-b_2' } });
      const list = await t.request('GET', '/api/databases', { token: 'superuser' });
      assert.deepEqual(
        list.body.map((d: { name: string }) => d.name),
        ['a-b_2', 'shop'],
      );
      const one = await t.request('GET', '/api/databases/shop', { token: 'superuser' });
      assert.equal(one.body.maxRows, 500);
      assert.equal((await t.request('DELETE', '/api/databases/a-b_2', { token: 'superuser' })).status, 204);
      const missing = await t.request('GET', '/api/databases/a-b_2', { token: 'superuser' });
      assert.deepEqual(missing.body, {
        status: 404,
        message: 'The database "a-b_2" does not exist.',
        data: {},
      });
      assert.equal((await t.request('DELETE', '/api/databases/a-b_2', { token: 'superuser' })).status, 404);
    });

    test('bad names and limits are 400 per field; a duplicate is 409', async () => {
      for (const name of ['Shop', '1db', '', 'a'.repeat(64), '../x', 'a b', 5]) {
        const res = await t.request('POST', '/api/databases', { token: 'superuser', body: { name } });
        assert.deepEqual(
          res.body,
          {
            status: 400,
            message: INVALID,
            data: {
              name: {
                code: 'validation_invalid_value',
                message:
                  'Must start with a lowercase letter, then up to 62 lowercase letters, digits, _ or -.',
              },
            },
          },
          String(name),
        );
      }
      const limits = await t.request('POST', '/api/databases', {
        token: 'superuser',
        body: { name: 'lim', maxRows: 0, statementTimeoutMs: 10 ** 9 },
      });
      assert.deepEqual(Object.keys(limits.body.data).sort(), ['maxRows', 'statementTimeoutMs']);
      const typed = await t.request('POST', '/api/databases', {
        token: 'superuser',
        body: { name: 'x', maxRows: 'a' },
      });
      assert.equal(typed.status, 400);
      await t.request('POST', '/api/databases', { token: 'superuser', body: { name: 'dup' } });
      const dup = await t.request('POST', '/api/databases', { token: 'superuser', body: { name: 'dup' } });
      assert.deepEqual(dup.body, { status: 409, message: 'A database named "dup" exists.', data: {} });
    });

    test('only superusers and API keys with the databases scope manage databases', async () => {
      const anon = await t.request('GET', '/api/databases');
      assert.equal(anon.status, 401);
      const recordsKey = await t.request('POST', '/api/keys', {
        token: 'superuser',
        body: { name: 'records', scopes: [{ collection: '*', operations: ['*'] }] },
      });
      assert.equal((await t.request('GET', '/api/databases', { token: recordsKey.body.secret })).status, 403);
      const dbKey = await t.request('POST', '/api/keys', {
        token: 'superuser',
        body: { name: 'dbs', scopes: [{ databases: true }] },
      });
      assert.equal(dbKey.status, 200, JSON.stringify(dbKey.body));
      assert.deepEqual(dbKey.body.scopes, [{ databases: true }]);
      const made = await t.request('POST', '/api/databases', {
        token: dbKey.body.secret,
        body: { name: 'bykey' },
      });
      assert.equal(made.status, 200);
      // the key opens the databases with the protocol too, and reaches no records
      const res = await fetch(`${t.url}/api/databases/bykey/v2/pipeline`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${dbKey.body.secret}` },
        body: JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'SELECT 40 + 2 AS n' } }] }),
      });
      const body = (await res.json()) as { results: { response: { result: { rows: unknown } } }[] };
      assert.deepEqual(body.results[0]!.response.result.rows, [[{ type: 'integer', value: '42' }]]);
      assert.equal(
        (await t.request('GET', '/api/collections/_superusers/records', { token: dbKey.body.secret })).status,
        403,
      );
    });

    test('tokens are listed without secrets and revoked', async () => {
      await t.request('POST', '/api/databases', { token: 'superuser', body: { name: 'tok' } });
      const made = await t.request('POST', '/api/databases/tok/tokens', {
        token: 'superuser',
        body: { readOnly: true, expiresIn: 60 },
      });
      assert.equal(made.status, 200);
      assert.match(made.body.token, /^fbdb_[\w-]{43}$/);
      const list = await t.request('GET', '/api/databases/tok/tokens', { token: 'superuser' });
      assert.deepEqual(list.body, [
        {
          id: made.body.id,
          database: 'tok',
          readOnly: true,
          expires: made.body.expires,
          created: made.body.created,
        },
      ]);
      const bad = await t.request('POST', '/api/databases/tok/tokens', {
        token: 'superuser',
        body: { expiresIn: 0 },
      });
      assert.deepEqual(Object.keys(bad.body.data), ['expiresIn']);
      assert.equal(
        (await t.request('DELETE', `/api/databases/tok/tokens/${made.body.id}`, { token: 'superuser' }))
          .status,
        204,
      );
      assert.deepEqual(
        (await t.request('GET', '/api/databases/tok/tokens', { token: 'superuser' })).body,
        [],
      );
      assert.equal(
        (await t.request('DELETE', `/api/databases/tok/tokens/${made.body.id}`, { token: 'superuser' }))
          .status,
        404,
      );
      assert.equal(
        (await t.request('POST', '/api/databases/nope/tokens', { token: 'superuser', body: {} })).status,
        404,
      );
      // issuing and revoking are in the audit log, never the token itself
      const audit = await t.request(
        'GET',
        `/api/audit?perPage=50&filter=${encodeURIComponent("action ~ 'database.token'")}&sort=seq`,
        {
          token: 'superuser',
        },
      );
      assert.deepEqual(
        audit.body.items.map((e: { action: string; target: string }) => [e.action, e.target]),
        [
          ['database.token.issue', `tok/${made.body.id}`],
          ['database.token.revoke', `tok/${made.body.id}`],
        ],
      );
      assert.equal(JSON.stringify(audit.body).includes(made.body.token), false);
    });

    const pipeline = (db: string, auth: string) =>
      fetch(`${t.url}/api/databases/${db}/v2/pipeline`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({
          requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }, { type: 'close' }],
        }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    test('successful SQL round trips stay out of the request logs; failed ones are logged', async () => {
      Object.assign(t.app.config, { logsMaxDays: 5, logsMinLevel: 0 });
      await t.request('POST', '/api/databases', { token: 'superuser', body: { name: 'logged' } });
      assert.equal((await pipeline('logged', t.superuserToken)).status, 200);
      assert.equal((await pipeline('logged', 'fbdb_bad')).status, 401);
      const filter = encodeURIComponent('data.url ~ "/api/databases/logged/"');
      const until = Date.now() + 10_000;
      let statuses: number[] = [];
      // the entry is written after its response: read until the failure is there
      while (!statuses.length && Date.now() < until) {
        await t.app.logs.flush();
        const res = await t.request('GET', `/api/logs?filter=${filter}`, { token: 'superuser' });
        statuses = res.body.items.map((i: { data: { status: number } }) => i.data.status);
        if (!statuses.length) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(statuses, [401]);
    });

    test('a database owned by another node answers 503 naming the node', async () => {
      await t.request('POST', '/api/databases', { token: 'superuser', body: { name: 'remote' } });
      const svc = await t.app.databases.get();
      await svc.delete('remote');
      // as another node of a cluster sees it: the metadata is shared, the file is not here
      await t.app.db.run(
        t.app.db.sys.insertInto('_databases').values({
          name: 'remote',
          node: 'node-b',
          max_size_bytes: 1024 ** 3,
          statement_timeout_ms: 5000,
          max_rows: 10,
          idle_transaction_ms: 1000,
          created: '2026-01-01 00:00:00.000Z',
        }),
      );
      assert.deepEqual(await pipeline('remote', t.superuserToken), {
        status: 503,
        body: {
          message: 'The database "remote" lives on node "node-b": send its requests to that node.',
          code: 'UNAVAILABLE',
        },
      });
      const listed = await t.request('GET', '/api/databases/remote', { token: 'superuser' });
      assert.equal(listed.body.node, 'node-b');
      assert.equal(listed.body.size, 0);
    });
  });
}
