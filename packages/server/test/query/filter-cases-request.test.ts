import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { type Key, listKeys, seedFilterFixture, signIn } from '../support/filter-fixture.ts';

// `@request.*` in list rules (PocketBase: core/record_field_resolver.go, the static request
// fields, and the runner's @request.auth joins). Non-superusers may not use `@request` in the
// `filter` parameter, so each case sets the listRule of `notes` and lists it as a given
// user. Notes: N1 owner alice shared [bob]; N2 owner bob shared [alice, carol];
// N3 no owner, shared []; N4 owner carol shared [alice].

type Who = 'anon' | 'alice' | 'bob' | 'carol';
interface Sent {
  query?: string;
  headers?: Record<string, string>;
}
type RuleCase = readonly [rule: string, who: Who, expected: readonly Key[], sent?: Sent];

const ALL = ['N1', 'N2', 'N3', 'N4'] as const;

const auth: RuleCase[] = [
  ['owner = @request.auth.id', 'alice', ['N1']],
  ['owner = @request.auth.id', 'bob', ['N2']],
  ['owner = @request.auth.id', 'carol', ['N4']],
  // an anonymous auth id is empty, so it matches the records without an owner
  ['owner = @request.auth.id', 'anon', ['N3']],
  ["@request.auth.id != '' && owner = @request.auth.id", 'anon', []],
  ["@request.auth.id != '' && owner = @request.auth.id", 'alice', ['N1']],
  ['owner.id = @request.auth.id', 'alice', ['N1']],
  ['@request.auth.id = owner', 'alice', ['N1']],
  ['shared.id ?= @request.auth.id', 'alice', ['N2', 'N4']],
  ['shared.id ?= @request.auth.id', 'bob', ['N1']],
  ['shared.id ?= @request.auth.id', 'anon', ['N3']],
  ['shared.id = @request.auth.id', 'alice', ['N4']],
  ['shared ~ @request.auth.id', 'alice', ['N2', 'N4']],
  ['shared ~ @request.auth.id', 'anon', []],
  ['@request.auth.id ?= shared.id', 'carol', ['N2']],
  ["@request.auth.name = 'Alice'", 'alice', ALL],
  ["@request.auth.name = 'Alice'", 'bob', []],
  ['@request.auth.level > 2', 'alice', ALL],
  ['@request.auth.level > 2', 'bob', []],
  ['@request.auth.level >= 1 && owner.level < @request.auth.level', 'alice', ['N2', 'N4']],
  ['@request.auth.level >= 1 && owner.level < @request.auth.level', 'bob', ['N4']],
  ['@request.auth.verified = true', 'alice', ALL],
  ['@request.auth.verified = true', 'bob', []],
  ['@request.auth.emailVisibility = false', 'bob', ALL],
  ['@request.auth.emailVisibility = false', 'alice', []],
  ["@request.auth.email = 'bob@example.com'", 'bob', ALL],
  ["@request.auth.email = 'bob@example.com'", 'alice', []],
  ["@request.auth.collectionName = 'users'", 'alice', ALL],
  ["@request.auth.collectionName = 'users'", 'anon', []],
  ["@request.auth.collectionId != ''", 'carol', ALL],
  ["@request.auth.collectionId != ''", 'anon', []],
  ["@request.auth.bestTag.name = 'red'", 'alice', ALL],
  ["@request.auth.bestTag.name = 'red'", 'bob', []],
  ["@request.auth.bestTag = 'tagred000000001'", 'alice', ALL],
  ['@request.auth.missing = null', 'alice', ALL],
  ["@request.auth.id = ''", 'anon', ALL],
  ["@request.auth.id = ''", 'alice', []],
  ['@request.auth.id = null', 'anon', ALL],
  ["@request.auth.name:lower = 'alice'", 'alice', ALL],
  ["@request.auth.name:lower = 'alice'", 'carol', []],
  ["@request.auth.bestTag.name:lower = 'red'", 'alice', ALL],
  ['owner.name = @request.auth.name', 'carol', ['N4']],
  ['shared.name ?= @request.auth.name', 'alice', ['N2', 'N4']],
  ["@request.auth.id != '' && owner.name != @request.auth.name", 'alice', ['N2', 'N3', 'N4']],
];

const sent: RuleCase[] = [
  ["@request.query.key = 'abc'", 'anon', ALL, { query: 'key=abc' }],
  ["@request.query.key = 'abc'", 'anon', []],
  ["@request.query.key = ''", 'anon', ALL],
  ["@request.query.key = ''", 'anon', [], { query: 'key=abc' }],
  ['@request.query.missing = null', 'anon', ALL],
  ['@request.query.title = title', 'anon', ['N2'], { query: 'title=b-note' }],
  ['title ~ @request.query.q', 'anon', ALL, { query: 'q=note' }],
  ['title ~ @request.query.q', 'anon', ['N3'], { query: 'q=orphan' }],
  ["@request.query.q:lower = 'abc'", 'anon', ALL, { query: 'q=ABC' }],
  ['@request.query.q:isset = true', 'anon', ALL, { query: 'q=x' }],
  ['@request.query.q:isset = true', 'anon', []],
  ["@request.headers.x_token = 'secret'", 'anon', ALL, { headers: { 'X-Token': 'secret' } }],
  ["@request.headers.x_token = 'secret'", 'anon', []],
  ["@request.headers.x_token = ''", 'anon', ALL],
  ['@request.headers.x_token:isset = true', 'bob', ALL, { headers: { 'X-Token': 'x' } }],
  ["@request.headers.x_token:lower = 'abc'", 'anon', ALL, { headers: { 'X-Token': 'AbC' } }],
  ["@request.method = 'GET'", 'anon', ALL],
  ["@request.method = 'POST'", 'anon', []],
  ["@request.context = 'default'", 'anon', ALL],
  ['@request.body.title:isset = false', 'anon', ALL],
  [
    "(@request.auth.id != '' && owner = @request.auth.id) || @request.query.all = 'yes'",
    'anon',
    ALL,
    { query: 'all=yes' },
  ],
  ["(@request.auth.id != '' && owner = @request.auth.id) || @request.query.all = 'yes'", 'anon', []],
  ["(@request.auth.id != '' && owner = @request.auth.id) || @request.query.all = 'yes'", 'bob', ['N2']],
];

for (const dialect of DIALECTS) {
  describe(`filter cases: @request in list rules (${dialect})`, () => {
    let t: TestApp;
    const tokens: Partial<Record<Who, string>> = {};
    before(async () => {
      t = await startTestApp(dialect);
      await seedFilterFixture(t);
      tokens.alice = await signIn(t, 'alice@example.com');
      tokens.bob = await signIn(t, 'bob@example.com');
      tokens.carol = await signIn(t, 'carol@example.com');
    });
    after(() => t.close());

    for (const [rule, who, expected, extra = {}] of [...auth, ...sent]) {
      const via = [extra.query && `?${extra.query}`, extra.headers && JSON.stringify(extra.headers)];
      test(`notes listRule ${rule} as ${who} ${via.filter(Boolean).join(' ')}`, async () => {
        const patched = await t.request('PATCH', '/api/collections/notes', {
          token: 'superuser',
          body: { listRule: rule },
        });
        assert.equal(patched.status, 200, JSON.stringify(patched.body));
        const token = who === 'anon' ? undefined : tokens[who];
        const keys = await listKeys(t, 'notes', undefined, {
          ...(token ? { token } : {}),
          ...(extra.headers ? { headers: extra.headers } : {}),
          ...(extra.query ? { query: extra.query } : {}),
        });
        assert.deepEqual(keys, [...expected].sort());
      });
    }

    test('a user may not use @request in the filter parameter (403)', async () => {
      for (const token of [undefined, tokens.alice]) {
        const res = await t.request(
          'GET',
          `/api/collections/notes/records?filter=${encodeURIComponent("@request.auth.id != ''")}`,
          token ? { token } : {},
        );
        assert.deepEqual(res.body, {
          data: {},
          message: 'Only superusers can filter by @request.',
          status: 403,
        });
      }
    });

    test('a superuser may use @request in the filter parameter', async () => {
      const su = { token: 'superuser' };
      assert.deepEqual(await listKeys(t, 'notes', "@request.method = 'GET'", su), [...ALL]);
      assert.deepEqual(await listKeys(t, 'notes', "@request.auth.collectionName = '_superusers'", su), [
        ...ALL,
      ]);
      assert.deepEqual(await listKeys(t, 'notes', "@request.query.key = 'v'", { ...su, query: 'key=v' }), [
        ...ALL,
      ]);
      assert.deepEqual(await listKeys(t, 'notes', "@request.query.key = 'v'", su), []);
      assert.deepEqual(await listKeys(t, 'notes', 'owner = @request.auth.id', su), []);
    });
  });
}
