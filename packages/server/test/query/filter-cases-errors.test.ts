import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { type Key, listKeys, seedFilterFixture } from '../support/filter-fixture.ts';

// What a client may not filter by: hidden fields (superusers may), private emails, unknown
// names and broken syntax (400, never a 500), `@request`/`@collection` for non-superusers
// (403). Unsupported function forms and unknown `@collection` sources are a 400.

/** Filters that are a 400 for anyone, with the collection they run on. */
const INVALID: readonly [collection: string, filter: string][] = [
  ['posts', 'nope = 1'],
  ['posts', "title:upper = 'x'"],
  ['posts', 'author.nope = 1'],
  ['posts', "title.name = 'x'"],
  ['posts', "comments_via_nope.message = 'x'"],
  ['posts', 'nope_via_post.x = 1'],
  ['posts', "comments_via_user.message ?= 'x'"],
  ['posts', "comments_via_post = 'x'"],
  ['posts', 'title = '],
  ['posts', "title = 'x' &&"],
  ['posts', "(title = 'x'"],
  ['posts', "title = 'x')"],
  ['posts', "title == 'x'"],
  ['posts', "title = 'x' & views = 1"],
  ['posts', "title ~ 'x"],
  ['posts', 'title'],
  ['posts', '// only a comment'],
  ['posts', '@unknownMacro = 1'],
  ['posts', "author.mentor.mentor.mentor.mentor.mentor.mentor.name = 'x'"],
  ['posts', "strftime('%A', published) = 'Monday'"],
  ['comments', 'geoDistance(place.lon, place.lat, 0) < 10'],
  ['posts', "@collection.nope.name = 'red'"],
];

/** Hidden fields: a 400 for anyone but a superuser, who gets these records. */
const HIDDEN: readonly [collection: string, filter: string, superuser: readonly Key[]][] = [
  ['posts', "secret = 'k1'", ['P1']],
  ['posts', "secret != ''", ['P1', 'P2', 'P4', 'P5', 'P6']],
  ['posts', "author.secret = 's-ann'", ['P1', 'P5']],
  ['posts', "author.mentor.secret = 's-ann'", ['P2', 'P6']],
  ['posts', "links_via_hiddenPosts.name ?= 'first'", ['P3']],
  ['posts', "links_via_hiddenPosts.name ?= 'third'", ['P1']],
  ['links', 'hiddenPosts:length = 1', ['L1', 'L3']],
  ['links', "hiddenPosts.title ?= 'Third Post'", ['L1']],
  ['users', "tokenKey != ''", ['alice', 'bob', 'carol']],
];

/** Auth emails: anyone sees only the visible ones (alice, carol); superusers see all. */
const EMAILS: readonly [
  collection: string,
  filter: string,
  anon: readonly Key[],
  superuser: readonly Key[],
][] = [
  ['users', "email = 'bob@example.com'", [], ['bob']],
  ['users', "email = 'alice@example.com'", ['alice'], ['alice']],
  ['users', "email != ''", ['alice', 'carol'], ['alice', 'bob', 'carol']],
  ['users', "email ~ 'example'", ['alice', 'carol'], ['alice', 'bob', 'carol']],
  ['users', "email:lower = 'alice@example.com'", ['alice'], ['alice']],
  ['users', "email != 'alice@example.com'", ['carol'], ['bob', 'carol']],
  ['users', "email = ''", [], []],
  ['users', 'verified = true', ['alice'], ['alice']],
  ['users', 'emailVisibility = false', ['bob'], ['bob']],
  ['posts', "owner.email = 'bob@example.com'", [], ['P2']],
  ['posts', "owner.email != ''", ['P1', 'P4', 'P5'], ['P1', 'P2', 'P4', 'P5']],
  ['comments', "user.email ~ 'bob'", [], ['C2']],
];

for (const dialect of DIALECTS) {
  describe(`filter cases: errors, hidden fields and emails (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await seedFilterFixture(t);
    });
    after(() => t.close());

    const get = (collection: string, filter: string, token?: string) =>
      t.request(
        'GET',
        `/api/collections/${collection}/records?filter=${encodeURIComponent(filter)}`,
        token ? { token } : {},
      );

    for (const [collection, filter] of INVALID) {
      test(`${collection}: ${filter.slice(0, 80)} is a 400`, async () => {
        const res = await get(collection, filter, 'superuser');
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.data.filter.code, 'validation_invalid_filter');
      });
    }

    for (const [collection, filter, superuser] of HIDDEN) {
      test(`${collection}: ${filter} is a 400 unless a superuser asks`, async () => {
        const res = await get(collection, filter);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.match(res.body.data.filter.message, /not filterable/);
        assert.deepEqual(
          await listKeys(t, collection, filter, { token: 'superuser' }),
          [...superuser].sort(),
        );
      });
    }

    for (const [collection, filter, anon, superuser] of EMAILS) {
      test(`${collection}: ${filter} sees only visible emails`, async () => {
        assert.deepEqual(await listKeys(t, collection, filter), [...anon].sort());
        assert.deepEqual(
          await listKeys(t, collection, filter, { token: 'superuser' }),
          [...superuser].sort(),
        );
      });
    }

    test('a filter longer than 3500 characters is a 400', async () => {
      const res = await get('posts', `title = '${'x'.repeat(3500)}'`);
      assert.deepEqual(res.body, {
        data: {},
        message: 'The "filter" parameter is too long (max 3500 characters).',
        status: 400,
      });
    });

    test('six relation hops are allowed (PocketBase maxNestedRels)', async () => {
      const filter = "author.mentor.mentor.mentor.mentor.mentor.name = 'x'";
      assert.deepEqual(await listKeys(t, 'posts', filter), []);
    });

    test('a rule may use hidden fields', async () => {
      const set = (listRule: string) =>
        t.request('PATCH', '/api/collections/posts', { token: 'superuser', body: { listRule } });
      assert.equal((await set("secret != 'k2' && author.secret != 's-bo'")).status, 200);
      try {
        assert.deepEqual(await listKeys(t, 'posts', undefined), ['P1', 'P3', 'P4', 'P5']);
        assert.deepEqual(await listKeys(t, 'posts', 'views > 5'), ['P1', 'P4', 'P5']);
      } finally {
        assert.equal((await set('')).status, 200);
      }
    });

    test('@collection in the filter is for superusers only (403)', async () => {
      const res = await get('posts', "@collection.tags.name = 'red'");
      assert.deepEqual(res.body, {
        data: {},
        message: 'Only superusers can filter by @collection.',
        status: 403,
      });
    });

    test('an empty filter lists everything', async () => {
      assert.equal((await listKeys(t, 'posts', '')).length, 6);
    });
  });
}
