import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { databaseKit, libsqlFailure } from '../support/databases.ts';

// quotas, idle batons, backups and stats of tenant databases
for (const dialect of DIALECTS) {
  describe(`database limits, backups and stats (${dialect})`, () => {
    let t: TestApp;
    const { client, createDb, close } = databaseKit(() => t);

    before(async () => {
      t = await startTestApp(dialect);
    });
    after(async () => {
      close();
      await t.close();
    });

    test('the size quota stops writes with SQLITE_FULL', async () => {
      await createDb('small', { maxSizeBytes: 128 * 1024 });
      const c = client('small');
      await c.execute('CREATE TABLE blobs (b BLOB)');
      const e = await libsqlFailure(async () => {
        for (let i = 0; i < 100; i++) await c.execute({ sql: 'INSERT INTO blobs VALUES (randomblob(8192))' });
      });
      assert.equal(e.code, 'SQLITE_FULL');
      assert.match(e.message, /size quota of 131072 bytes \(maxSizeBytes\)/);
      // reads go on
      const n = Number((await c.execute('SELECT count(*) AS n FROM blobs')).rows[0]!.n);
      assert.ok(n > 0 && n < 16, String(n));
    });

    test('a statement past the timeout is stopped; too many rows is RESPONSE_TOO_LARGE', async () => {
      await createDb('slow', { statementTimeoutMs: 300, maxRows: 100 });
      const c = client('slow');
      // one row every few million steps: the deadline is checked between rows
      const slow = await libsqlFailure(() =>
        c.execute(
          'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n WHERE x % 20000000 = 0',
        ),
      );
      assert.equal(slow.code, 'STATEMENT_TIMEOUT');
      const big = await libsqlFailure(() =>
        c.execute(
          'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 101) SELECT x FROM n',
        ),
      );
      assert.equal(big.code, 'RESPONSE_TOO_LARGE');
      const fits = await c.execute(
        'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 100) SELECT x FROM n',
      );
      assert.equal(fits.rows.length, 100);
    });

    test('an idle interactive transaction is rolled back and its baton expires', async () => {
      await createDb('idle', { idleTransactionMs: 200 });
      await client('idle').execute('CREATE TABLE t (a)');
      const tx = await client('idle').transaction('write');
      await tx.execute('INSERT INTO t VALUES (1)');
      // another client's write waits for the transaction, which expires
      await client('idle').execute('INSERT INTO t VALUES (2)');
      const e = await libsqlFailure(() => tx.commit());
      assert.equal(e.code, 'STREAM_EXPIRED');
      const rows = await client('idle').execute('SELECT a FROM t');
      assert.deepEqual(
        rows.rows.map((r) => r.a),
        [2],
      );
    });

    test('reads of other clients do not wait for an open transaction; their writes do', async () => {
      // an hour: a read that waited for the transaction would time the test out
      await createDb('aside', { idleTransactionMs: 3_600_000 });
      await client('aside').execute('CREATE TABLE t (a)');
      await client('aside').execute('INSERT INTO t VALUES (1)');
      const tx = await client('aside').transaction('write');
      await tx.execute('INSERT INTO t VALUES (2)');
      const other = client('aside');
      // the committed data, not the transaction's
      assert.deepEqual(
        (await other.execute('SELECT a FROM t ORDER BY a')).rows.map((r) => r.a),
        [1],
      );
      const named = await other.execute({
        sql: 'SELECT count(*) AS n FROM t WHERE a >= :min',
        args: { min: 1 },
      });
      assert.equal(named.rows[0]!.n, 1);
      const write = other.execute('INSERT INTO t VALUES (3)');
      // a read that fails as it runs fails at once too
      const e = await libsqlFailure(() => other.execute('SELECT abs(-9223372036854775807 - 1) FROM t'));
      assert.deepEqual([e.code, e.message], ['SQLITE_ERROR', 'SQLITE_ERROR: integer overflow']);
      await tx.commit();
      await write;
      assert.deepEqual(
        (await other.execute('SELECT a FROM t ORDER BY a')).rows.map((r) => r.a),
        [1, 2, 3],
      );
    });

    test('a backup taken while writes go on restores a consistent database', async () => {
      await createDb('bk');
      const c = client('bk');
      await c.execute('CREATE TABLE t (a INTEGER)');
      await c.batch(
        Array.from({ length: 50 }, (_, i) => ({ sql: 'INSERT INTO t VALUES (?)', args: [i] })),
        'write',
      );
      const writer = (async () => {
        for (let i = 50; i < 100; i++) await c.execute({ sql: 'INSERT INTO t VALUES (?)', args: [i] });
      })();
      const made = await t.request('POST', '/api/databases/bk/backups', { token: 'superuser' });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      await writer;
      assert.match(made.body.name, /^\d{17}_\w{4}\.db$/);
      const list = await t.request('GET', '/api/databases/bk/backups', { token: 'superuser' });
      assert.deepEqual(
        list.body.map((b: { name: string }) => b.name),
        [made.body.name],
      );
      assert.equal(Number((await c.execute('SELECT count(*) AS n FROM t')).rows[0]!.n), 100);
      const restored = await t.request('POST', `/api/databases/bk/backups/${made.body.name}/restore`, {
        token: 'superuser',
      });
      assert.equal(restored.status, 204);
      const after = await client('bk').execute('SELECT count(*) AS n, max(a) AS m FROM t');
      const n = Number(after.rows[0]!.n);
      // a prefix of the writes: the snapshot is consistent
      assert.ok(n >= 50 && n <= 100, String(n));
      assert.equal(Number(after.rows[0]!.m), n - 1);
      const missing = await t.request('POST', '/api/databases/bk/backups/nope.db/restore', {
        token: 'superuser',
      });
      assert.equal(missing.status, 404);
    });

    test('stats count statements, errors and latency', async () => {
      await createDb('st');
      const c = client('st');
      await c.execute('CREATE TABLE a (x)');
      await c.execute('CREATE TABLE b (x)');
      await c.execute('INSERT INTO a VALUES (1)');
      await libsqlFailure(() => c.execute('SELECT nope'));
      const res = await t.request('GET', '/api/databases/st/stats', { token: 'superuser' });
      assert.equal(res.status, 200);
      const { size, p50Ms, p99Ms, ...rest } = res.body;
      assert.deepEqual(rest, { name: 'st', tables: 2, queries: 4, errors: 1, openStreams: 0 });
      assert.ok(size > 0);
      assert.ok(p50Ms >= 0 && p99Ms >= p50Ms);
      // and in /metrics, labelled by database
      const scraped = await t.request('GET', '/metrics', { token: 'superuser' });
      const series = (name: string) =>
        Number(String(scraped.body).match(new RegExp(`^${name}\\{database="st"\\} (\\S+)$`, 'm'))?.[1]);
      assert.equal(series('forgebase_tenant_db_statements_total'), 4);
      assert.equal(series('forgebase_tenant_db_errors_total'), 1);
      assert.equal(series('forgebase_tenant_db_size_bytes'), size);
    });

    test('the raw protocol: describe, store_sql, get_autocommit, batch conditions and the v3 cursor', async () => {
      await createDb('raw');
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${t.url}/api/databases/raw/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.superuserToken}` },
          body: JSON.stringify(body),
        });
        return { status: res.status, text: await res.text() };
      };
      const first = await post('v3/pipeline', {
        baton: null,
        requests: [
          { type: 'store_sql', sql_id: 1, sql: 'SELECT :a AS a, ? AS b' },
          { type: 'describe', sql_id: 1 },
          { type: 'execute', stmt: { sql: 'BEGIN' } },
          { type: 'get_autocommit' },
        ],
      });
      assert.equal(first.status, 200);
      const one = JSON.parse(first.text);
      assert.equal(typeof one.baton, 'string');
      assert.deepEqual(one.results.slice(0, 2), [
        { type: 'ok', response: { type: 'store_sql' } },
        {
          type: 'ok',
          response: {
            type: 'describe',
            result: {
              params: [{ name: ':a' }, { name: null }],
              cols: [
                { name: 'a', decltype: null },
                { name: 'b', decltype: null },
              ],
              is_explain: false,
              is_readonly: true,
            },
          },
        },
      ]);
      assert.deepEqual(one.results[3], {
        type: 'ok',
        response: { type: 'get_autocommit', is_autocommit: false },
      });
      const second = JSON.parse(
        (
          await post('v3/pipeline', {
            baton: one.baton,
            requests: [
              {
                type: 'batch',
                batch: {
                  steps: [
                    {
                      stmt: {
                        sql_id: 1,
                        named_args: [{ name: 'a', value: { type: 'text', value: 'x' } }],
                        args: [{ type: 'float', value: 0.5 }],
                      },
                    },
                    { stmt: { sql: 'SELECT nope' } },
                    { condition: { type: 'error', step: 1 }, stmt: { sql: 'SELECT 1' } },
                    { condition: { type: 'ok', step: 1 }, stmt: { sql: 'SELECT 2' } },
                    {
                      condition: { type: 'not', cond: { type: 'is_autocommit' } },
                      stmt: { sql: 'ROLLBACK' },
                    },
                  ],
                },
              },
              { type: 'execute', stmt: { sql: 'SELECT 1', want_rows: false } },
              { type: 'close_sql', sql_id: 1 },
              { type: 'execute', stmt: { sql_id: 1 } },
              { type: 'close' },
            ],
          })
        ).text,
      );
      assert.equal(second.baton, null);
      const batch = second.results[0].response.result;
      assert.deepEqual(batch.step_results[0].rows, [
        [
          { type: 'text', value: 'x' },
          { type: 'float', value: 0.5 },
        ],
      ]);
      assert.equal(batch.step_results[1], null);
      assert.deepEqual(batch.step_errors[1], { message: 'no such column: nope', code: 'SQLITE_ERROR' });
      assert.notEqual(batch.step_results[2], null);
      assert.equal(batch.step_results[3], null);
      assert.equal(batch.step_errors[3], null);
      assert.notEqual(batch.step_results[4], null);
      assert.deepEqual(second.results[1].response.result.rows, []);
      assert.deepEqual(second.results[3], {
        type: 'error',
        error: { message: 'SQL text 1 was not stored on this stream', code: 'SQL_NOT_FOUND' },
      });
      // the baton of a closed stream does not work again
      const stale = await post('v2/pipeline', { baton: one.baton, requests: [] });
      assert.deepEqual(
        { status: stale.status, body: JSON.parse(stale.text) },
        {
          status: 400,
          body: { message: 'The baton is unknown or its stream has expired', code: 'STREAM_EXPIRED' },
        },
      );
      const cursor = await post('v3/cursor', {
        baton: null,
        batch: { steps: [{ stmt: { sql: 'SELECT 7 AS n' } }, { stmt: { sql: 'SELECT nope' } }] },
      });
      const lines = cursor.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(typeof lines[0].baton, 'string');
      assert.deepEqual(lines.slice(1), [
        { type: 'step_begin', step: 0, cols: [{ name: 'n', decltype: null }] },
        { type: 'row', row: [{ type: 'integer', value: '7' }] },
        { type: 'step_end', affected_row_count: 0, last_insert_rowid: null },
        { type: 'step_error', step: 1, error: { message: 'no such column: nope', code: 'SQLITE_ERROR' } },
      ]);
      const bad = await post('v2/pipeline', { requests: [{ type: 'nope' }] });
      assert.deepEqual(JSON.parse(bad.text).results, [
        { type: 'error', error: { message: 'Unknown request type "nope"', code: 'HRANA_PROTO_ERROR' } },
      ]);
      const version = await fetch(`${t.url}/api/databases/raw/v3`);
      assert.equal(version.status, 200);
    });
  });
}
