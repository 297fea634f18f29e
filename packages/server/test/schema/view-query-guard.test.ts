import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
