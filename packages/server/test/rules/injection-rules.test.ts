import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import {
  assertApiError,
  assertTablesIntact,
  HOSTILE_TITLES,
  type InjectionWorld,
  seedInjectionWorld,
} from '../support/injection-world.ts';

// Hostile values reaching SQL through rules: `@request.query/headers/body` values the client
// controls, literals a superuser writes into a rule, and rules at the size limits. Values
// are always bound, so they only ever compare as data; errors are PocketBase-shaped 4xx.

const HOSTILE_VALUES = [
  "' OR '1'='1",
  "k-123' --",
  '" OR 1=1 --',
  "k-123'; DROP TABLE notes; --",
  '%',
  '_',
  '\\',
  'k-123\\',
  '/* k-123 */',
  'שלום',
  '😀',
  'x'.repeat(5000),
];

for (const dialect of DIALECTS) {
  describe(`rule injection (${dialect})`, () => {
    let t: TestApp;
    let w: InjectionWorld;
    let vaultId: string;
    before(async () => {
      t = await startTestApp(dialect);
      w = await seedInjectionWorld(t);
      await t.createCollection({
        name: 'vault',
        listRule: "@request.query.key = 'k-123'",
        viewRule: "@request.headers.x_key = 'k-123'",
        createRule: "@request.body.title != 'blocked' && @request.body.title !~ 'DROP%'",
        updateRule: "@request.body.title:lower != 'blocked'",
        fields: [{ name: 'title', type: 'text', max: 10000 }],
      });
      const v = await t.request('POST', '/api/collections/vault/records', {
        token: 'superuser',
        body: { title: 'treasure' },
      });
      vaultId = v.body.id;
    });
    after(() => t.close());

    test('@request.query values are bound, never spliced', async () => {
      const list = (key: string) =>
        t.request('GET', `/api/collections/vault/records?key=${encodeURIComponent(key)}`);
      const ok = await list('k-123');
      assert.deepEqual(
        ok.body.items.map((r: { id: string }) => r.id),
        [vaultId],
      );
      for (const key of HOSTILE_VALUES) {
        const res = await list(key);
        assert.equal(res.status, 200, `${key.slice(0, 40)}: ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.deepEqual(res.body.items, [], key.slice(0, 40));
      }
      assert.deepEqual((await t.request('GET', '/api/collections/vault/records')).body.items, []);
    });

    test('@request.headers values are bound, never spliced', async () => {
      const view = (key: string) =>
        t.request('GET', `/api/collections/vault/records/${vaultId}`, { headers: { 'x-key': key } });
      assert.equal((await view('k-123')).status, 200);
      for (const key of HOSTILE_VALUES.filter((k) => /^[\x20-\x7e]*$/.test(k))) {
        const res = await view(key);
        assert.equal(res.status, 404, key.slice(0, 40));
      }
      assert.equal((await t.request('GET', `/api/collections/vault/records/${vaultId}`)).status, 404);
    });

    test('@request.body values in create and update rules are bound', async () => {
      for (const title of [...HOSTILE_TITLES, ...HOSTILE_VALUES]) {
        const res = await t.request('POST', '/api/collections/vault/records', { body: { title } });
        assert.equal(res.status, 200, `${title.slice(0, 40)}: ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.equal(res.body.title, title);
      }
      for (const title of ['blocked', 'DROP TABLE vault', 'drop it']) {
        const res = await t.request('POST', '/api/collections/vault/records', { body: { title } });
        assertApiError(res, 400, title);
        assert.equal(res.body.message, 'Failed to create record.');
      }
      const patch = (title: string) =>
        t.request('PATCH', `/api/collections/vault/records/${vaultId}`, { body: { title } });
      assert.equal((await patch("BLOCKED' OR '1'='1")).status, 200);
      assert.equal((await patch('BLOCKED')).status, 404);
      assert.equal((await patch('treasure')).status, 200);
      await assertTablesIntact(t, w);
    });

    test('a NUL byte in a request value makes the rule deny, never a 500', async () => {
      const list = await t.request('GET', '/api/collections/vault/records?key=k-123%00');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items, []);
      const created = await t.request('POST', '/api/collections/vault/records', {
        body: { title: 'a\u0000b' },
      });
      assert.deepEqual(created.body, { data: {}, message: 'Failed to create record.', status: 400 });
      const patched = await t.request('PATCH', `/api/collections/vault/records/${vaultId}`, {
        body: { title: 'x\u0000' },
      });
      assert.equal(patched.status, 404);
      await assertTablesIntact(t, w);
    });

    test('a NUL byte in stored text is data on SQLite and a 400 on PostgreSQL', async () => {
      await t.createCollection({
        name: 'open_notes',
        createRule: '',
        listRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'data', type: 'json' },
        ],
      });
      for (const body of [{ title: 'a\u0000b' }, { data: { k: 'a\u0000b' } }]) {
        const res = await t.request('POST', '/api/collections/open_notes/records', { body });
        if (dialect === 'sqlite') assert.equal(res.status, 200, JSON.stringify(res.body));
        else assert.deepEqual(res.body, { data: {}, message: 'Failed to create record.', status: 400 });
      }
    });

    test('hostile literals in a superuser-written rule compare as data', async () => {
      const patch = await t.request('PATCH', '/api/collections/notes', {
        token: 'superuser',
        body: {
          listRule:
            "private = false && title != \"'; DROP TABLE notes; --\" && title !~ 'a_b' && title != '\" OR 1=1 --'",
        },
      });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      const res = await t.request('GET', '/api/collections/notes/records?perPage=100');
      assert.equal(res.status, 200);
      const titles = res.body.items.map((r: { title: string }) => r.title);
      assert.deepEqual(
        titles,
        HOSTILE_TITLES.filter((x) => !["'; DROP TABLE notes; --", '" OR 1=1 --', 'a_b'].includes(x)),
      );
      await assertTablesIntact(t, w);
    });

    test('rules have no length or comparison limit (PocketBase), but nesting is bounded', async () => {
      const terms = Array.from({ length: 400 }, (_, i) => `title != 'not-${i}-${'y'.repeat(10)}'`);
      const long = `private = false && ${terms.join(' && ')}`;
      assert.ok(long.length > 3500);
      const saved = await t.request('PATCH', '/api/collections/notes', {
        token: 'superuser',
        body: { listRule: long },
      });
      assert.equal(saved.status, 200, JSON.stringify(saved.body).slice(0, 300));
      const res = await t.request('GET', '/api/collections/notes/records?perPage=100');
      assert.equal(res.body.items.length, HOSTILE_TITLES.length);
      for (const depth of [10_000, 100]) {
        const nested = `${'('.repeat(depth)}private = false${')'.repeat(depth)}`;
        const bad = await t.request('PATCH', '/api/collections/notes', {
          token: 'superuser',
          body: { listRule: nested },
        });
        assertApiError(bad, 400, `${depth} parens`);
        assert.equal(bad.body.data.listRule.code, 'validation_invalid_rule');
      }
      await assertTablesIntact(t, w);
    });

    test('rules that try to break out of SQL are rejected on save', async () => {
      for (const rule of [
        "title = 'x'; DROP TABLE notes; --",
        "title = 'x' OR 1=1",
        'title; DROP = 1',
        "title = 'x' -- c",
        '1=1 UNION SELECT password FROM users',
        "sqlite_version() = '3'",
        "owner.password = 'x' || title = 'x' /*",
      ]) {
        const res = await t.request('PATCH', '/api/collections/notes', {
          token: 'superuser',
          body: { viewRule: rule },
        });
        assertApiError(res, 400, rule);
        assert.equal(res.body.message, 'Failed to update collection.');
        assert.equal(res.body.data.viewRule.code, 'validation_invalid_rule', rule);
      }
      const stored = await t.request('GET', '/api/collections/notes', { token: 'superuser' });
      assert.equal(stored.body.viewRule, 'private = false || owner = @request.auth.id');
      await assertTablesIntact(t, w);
    });
  });
}
