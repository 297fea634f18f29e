import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// security #17: a superuser's view query must not read the system's secrets nor reach the host
const REFUSED = [
  'select id, password, tokenKey from _superusers',
  'SELECT id, "password" FROM "_superusers"',
  'select id from/**/_SUPERUSERS',
  'select p.id from posts p join _superusers s on s.id = p.id',
  'select id from (select id from _api_keys) k',
  'select id from _mfas',
  'select id from _otps union select id from _external_auths',
  'select id from _collections',
  "select id, pg_read_file('/etc/passwd') as x from posts",
  "select id, lo_import('/etc/passwd') as x from posts",
  'select id, pg_catalog.current_database() as x from posts',
  'select id, rolpassword as x from posts, pg_authid',
  "select id, query_to_xml('select * from _superusers', true, true, '') as x from posts",
  'select (row_number() over()) as id, sql from sqlite_master',
  'select id, u&"\\005fsuperusers" as x from posts',
  'select id from information_schema.tables',
];

for (const dialect of DIALECTS) {
  describe(`view query guard (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'posts', listRule: '', fields: [{ name: 'title', type: 'text' }] });
    });
    after(() => t.close());

    const createView = (name: string, viewQuery: string) =>
      t.request('POST', '/api/collections', {
        token: 'superuser',
        body: { name, type: 'view', listRule: '', viewQuery },
      });

    test('view queries naming system tables or host functions are refused', async () => {
      for (const [i, query] of REFUSED.entries()) {
        const res = await createView(`leak${i}`, query);
        assert.equal(res.status, 400, `${query} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.data.viewQuery?.code, 'validation_invalid_view_query', query);
        assert.match(res.body.data.viewQuery.message, /system table or function/, query);
      }
    });

    test('ordinary view queries still work, names in string literals included', async () => {
      await t.request('POST', '/api/collections/posts/records', { token: 'superuser', body: { title: 'a' } });
      const res = await createView(
        'labels',
        "select id, title, cast('_superusers' as text) as label /* pg_read_file */ from posts",
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const list = await t.request('GET', '/api/collections/labels/records');
      assert.equal(list.status, 200);
      assert.equal(list.body.items[0].label, '_superusers');
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`view queries run read-only (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'posts', listRule: '', fields: [{ name: 'title', type: 'text' }] });
      await t.request('POST', '/api/collections/posts/records', { token: 'superuser', body: { title: 'a' } });
    });
    after(() => t.close());

    // a function the name guard lets through that writes: nextval() advances a sequence
    const query = "select id, nextval('posts__rowid_seq') as n from posts";

    test('a view whose query writes cannot write', async () => {
      const created = await t.request('POST', '/api/collections', {
        token: 'superuser',
        body: { name: 'writer', type: 'view', listRule: '', viewRule: '', viewQuery: query },
      });
      if (dialect === 'sqlite') {
        // a SELECT cannot write on SQLite: no such function to begin with
        assert.equal(created.status, 400, JSON.stringify(created.body));
        assert.equal(created.body.data.viewQuery?.code, 'validation_invalid_view_query');
        return;
      }
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const seq = async () =>
        (
          await t.app.db.first<{ v: string }>({
            sql: 'SELECT last_value AS v FROM posts__rowid_seq',
            parameters: [],
          })
        )?.v;
      const before = await seq();
      const list = await t.request('GET', '/api/collections/writer/records');
      assert.equal(list.status, 400, JSON.stringify(list.body));
      assert.match(list.body.message, /read-only/);
      const post = (await t.request('GET', '/api/collections/posts/records')).body.items[0];
      const view = await t.request('GET', `/api/collections/writer/records/${post.id}`);
      assert.equal(view.status, 400, JSON.stringify(view.body));
      const agg = await t.request('GET', '/api/collections/writer/aggregate?fields=max(n)');
      assert.equal(agg.status, 400, JSON.stringify(agg.body));
      assert.equal(await seq(), before);
    });
  });
}

for (const dialect of DIALECTS) {
  test(`a PostgreSQL superuser role is warned about at start (${dialect})`, async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'warn',
      new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    // the test suite connects as postgres, a superuser
    const t = await startTestApp(dialect, {}, { logger });
    try {
      const warned = lines.some((l) => /PostgreSQL role is a superuser/.test(l));
      assert.equal(warned, dialect === 'postgres', lines.join(''));
    } finally {
      await t.close();
    }
  });
}
