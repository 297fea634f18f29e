import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp, type TestResponse } from '../support/app.ts';
import {
  assertApiError,
  assertTablesIntact,
  HOSTILE_TITLES,
  type InjectionWorld,
  seedInjectionWorld,
} from '../support/injection-world.ts';

// Hostile `filter` parameters: every answer is a 2xx with only the rows the caller may see,
// or a PocketBase-shaped 4xx; never a 500, and the tables survive.

/** A filter literal for `text` in single quotes (the language escapes only the quote). */
const quoted = (text: string) => `'${text.replaceAll("'", "\\'")}'`;

const SYNTAX_ERRORS = [
  '" OR 1=1 --',
  "title = '' OR 1=1 --'",
  "title = 'x'; DROP TABLE notes; --",
  "title = 'x' -- comment",
  "title = 'x' /* comment */",
  "title = 'x' # comment",
  'title; DROP = 1',
  'title;DROP TABLE notes',
  '1=1; DELETE FROM notes',
  "title = 'x' UNION SELECT * FROM users",
  'id = 1 OR 1 = 1',
  'title) OR (1=1',
  "title = 'unterminated",
  "title\u0000 = 'x'",
  "title = 'x' \u0000",
  'title = 1e999',
  'title = -',
  "title = 'x' & id = 1",
  "title === 'x'",
  '',
  '   ',
];

const UNKNOWN_OR_FORBIDDEN = [
  "notes.title = 'x'",
  '_rowid_ = 1',
  "secret = 'secret a_b'",
  "owner.password = 'x'",
  "owner.tokenKey != ''",
  "password = 'x'",
  "title:lower; DROP = 'x'",
  'title:drop = 1',
  "title:each = 'x'",
  'title:length > 1',
  "owner.title.x.y = 'x'",
  'geoDistance(0, 0, 0) = 0',
  "strftime('%s', created) = '2024'",
  "sqlite_version() != ''",
  'pg_sleep(10) = 1',
  "lower(title) = 'x'",
  'a(b(c(d(1)))) = 1',
];

for (const dialect of DIALECTS) {
  describe(`filter injection (${dialect})`, () => {
    let t: TestApp;
    let w: InjectionWorld;
    before(async () => {
      t = await startTestApp(dialect);
      w = await seedInjectionWorld(t);
    });
    after(() => t.close());

    const list = (filter: string, token?: string) =>
      t.request('GET', `/api/collections/notes/records?perPage=500&filter=${encodeURIComponent(filter)}`, {
        ...(token ? { token } : {}),
      });
    /** Titles of a 200 answer, after checking that nothing private to A leaked. */
    const titles = (res: TestResponse, context: string): string[] => {
      assert.equal(res.status, 200, `${context}: ${JSON.stringify(res.body)}`);
      const out = res.body.items.map((r: { title: string }) => r.title);
      assert.ok(!out.includes('private of A'), `${context}: leaked a private note`);
      for (const r of res.body.items) assert.equal(r.secret, undefined, context);
      return out;
    };

    test('hostile text in a quoted literal is only data', async () => {
      for (const title of HOSTILE_TITLES) {
        assert.deepEqual(titles(await list(`title = ${quoted(title)}`, w.b.token), title), [title]);
        const dq = `title = "${title.replaceAll('"', '\\"')}"`;
        assert.deepEqual(titles(await list(dq), dq), [title]);
      }
      assert.deepEqual(
        titles(await list("title = 'x' || title = '' || 1 = 1"), 'or true').length,
        HOSTILE_TITLES.length,
      );
      await assertTablesIntact(t, w);
    });

    test('% and _ in ~ follow PocketBase (escaped unless the text has its own %)', async () => {
      assert.deepEqual(titles(await list("title ~ 'a_b'"), 'a_b'), ['a_b']);
      assert.deepEqual(titles(await list("title ~ '100%'"), '100%'), ['100% sure']);
      assert.deepEqual(titles(await list("title ~ '% sure'"), '% sure'), ['100% sure']);
      assert.equal(titles(await list("title ~ '%'"), '%').length, HOSTILE_TITLES.length);
      assert.deepEqual(titles(await list("title ~ 'k\\s'"), 'backslash'), ['back\\slash']);
      assert.deepEqual(titles(await list("title ~ 'DROP TABLE'"), 'drop'), ["'; DROP TABLE notes; --"]);
      assert.deepEqual(titles(await list("title !~ '_' && title ~ 'b'"), '!~ _'), [
        "O'Brien",
        "'; DROP TABLE notes; --",
        'axb',
        'back\\slash',
      ]);
      assert.deepEqual(titles(await list("title ~ 'עולם'"), 'rtl'), ['שלום עולם']);
      assert.deepEqual(titles(await list("title ~ '😀'"), 'emoji'), ['😀 emoji']);
      assert.deepEqual(titles(await list("title ~ '\u202E'"), 'rlo'), ['\u202Egnp.exe']);
    });

    test('a NUL byte is refused (400) on both dialects', async () => {
      // SQLite's LIKE would stop at it (matching everything) and PostgreSQL text cannot hold it
      for (const filter of ["title = 'a\u0000b'", "title ~ '\u0000'", "title ~ 'x' || title = '\u0000'"]) {
        assertApiError(await list(filter, w.b.token), 400, JSON.stringify(filter));
      }
      await assertTablesIntact(t, w);
    });

    test('SQL fragments outside quotes are syntax errors (400)', async () => {
      for (const filter of SYNTAX_ERRORS.filter((f) => f.trim() !== '')) {
        assertApiError(await list(filter, w.b.token), 400, filter);
      }
      // an empty filter is no filter
      for (const filter of ['', '   ']) {
        assert.equal(titles(await list(filter), 'empty').length, HOSTILE_TITLES.length);
      }
      await assertTablesIntact(t, w);
    });

    test('unknown fields, hidden fields and functions are refused (400)', async () => {
      for (const filter of UNKNOWN_OR_FORBIDDEN) assertApiError(await list(filter), 400, filter);
      for (const filter of UNKNOWN_OR_FORBIDDEN.slice(0, 6)) {
        assertApiError(await list(filter, w.a.token), 400, filter);
      }
      // a fexpr line comment is part of the language
      assert.deepEqual(titles(await list("title = 'a_b' // trailing comment"), 'comment'), ['a_b']);
      await assertTablesIntact(t, w);
    });

    test('@collection and @request in a filter are for superusers only (403)', async () => {
      for (const [filter, key] of [
        ["@collection.notes.id != ''", '@collection.'],
        ["@request.auth.id != ''", '@request.'],
        ["title = 'x' || @request.headers.x != ''", '@request.'],
      ]) {
        for (const token of [undefined, w.a.token]) {
          const res = await list(filter!, token);
          assertApiError(res, 403, filter!);
          assert.equal(res.body.message, `Only superusers can filter by ${key}`);
        }
      }
    });

    test('length, nesting and comparison-count limits answer 400', async () => {
      const tooLong = `title = '${'x'.repeat(3500)}'`;
      assertApiError(await list(tooLong), 400, 'too long');
      const atLimit = `title = '${'x'.repeat(3500 - 10)}'`;
      assert.equal(atLimit.length, 3500);
      assert.deepEqual(titles(await list(atLimit), 'at limit'), []);
      const parens = (n: number) => `${'('.repeat(n)}title = 'a_b'${')'.repeat(n)}`;
      // 20 KB of parentheses is over Node's 16 KiB header limit: still a PocketBase-shaped 4xx
      assertApiError(await list(parens(10_000)), 431, '10000 parens');
      assertApiError(await list(parens(3_000)), 400, '3000 parens');
      assertApiError(await list(parens(1_700)), 400, '1700 parens');
      assert.deepEqual(titles(await list(parens(20)), '20 parens'), ['a_b']);
      const chain = (n: number) => Array.from({ length: n }, (_, i) => `id!='${i}'`).join('&&');
      assertApiError(await list(chain(201)), 400, '201 comparisons');
      assert.equal(titles(await list(chain(200)), '200 comparisons').length, HOSTILE_TITLES.length);
      const ors = Array.from({ length: 250 }, () => "id='x'").join('||');
      assertApiError(await list(ors), 400, '250 ors');
      await assertTablesIntact(t, w);
    });

    test('a hostile sort is a 400 too', async () => {
      for (const sort of [
        'title; DROP TABLE notes',
        '(title)',
        "title'",
        'title--',
        'title,,-x',
        '-secret',
      ]) {
        const res = await t.request('GET', `/api/collections/notes/records?sort=${encodeURIComponent(sort)}`);
        assertApiError(res, 400, sort);
      }
      // a hidden field's order would leak it: only superusers may sort by it (as PocketBase)
      const bySecret = await t.request('GET', '/api/collections/notes/records?sort=-secret', {
        token: w.b.token,
      });
      assertApiError(bySecret, 400, 'sort by hidden');
      const su = await t.request('GET', '/api/collections/notes/records?sort=-secret', {
        token: 'superuser',
      });
      assert.equal(su.status, 200);
      await assertTablesIntact(t, w);
    });

    test('the owner sees the private note; others never do, whatever the filter', async () => {
      const filter = "title = 'private of A' || private = true || owner.email != ''";
      assert.deepEqual(titles(await list(filter, w.b.token), 'b'), []);
      assert.deepEqual(titles(await list(filter), 'anonymous'), []);
      const mine = await list(filter, w.a.token);
      assert.equal(mine.status, 200);
      assert.deepEqual(
        mine.body.items.map((r: { title: string }) => r.title),
        ['private of A'],
      );
    });
  });
}
