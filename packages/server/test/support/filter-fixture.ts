import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeRow } from '../../src/records/record-codec.ts';
import { viewerMatchesValues } from '../../src/rules/match-values.ts';
import { DIALECTS, type Dialect, type RequestOptions, startTestApp, type TestApp } from './app.ts';
import { AUTHORS, COMMENTS, IDS, LINKS, NOTES, POSTS, TAGS, USERS } from './filter-fixture-records.ts';

// The data every filter-case suite (test/query/filter-cases-*.test.ts) runs against: the
// same collections and records, with fixed ids, on both dialects. Records are named by a
// short key (P1, C3, ...) and the cases list the keys a filter must return, so a case reads
// `["views > 5", ['P1', 'P4', 'P5', 'P6']]`. Dates sit far in the past or the future, so the
// macro cases (`@now`, `@yesterday`, ...) do not depend on when the suite runs.

export { IDS };

export const USER_PASSWORD = 'user-password-123';

export type Key = keyof typeof IDS;
const KEY_OF = new Map(Object.entries(IDS).map(([k, v]) => [v as string, k]));

const ALL_LISTABLE = { listRule: '', viewRule: '' };

/** Creates the fixture's collections and records (as the superuser). */
export async function seedFilterFixture(t: TestApp): Promise<void> {
  const tags = await t.createCollection({
    name: 'tags',
    ...ALL_LISTABLE,
    fields: [
      { name: 'name', type: 'text' },
      { name: 'weight', type: 'number' },
    ],
  });
  const users = await t.createCollection({
    name: 'users',
    type: 'auth',
    ...ALL_LISTABLE,
    fields: [
      { name: 'name', type: 'text' },
      { name: 'level', type: 'number' },
      { name: 'bestTag', type: 'relation', collectionId: tags.id, maxSelect: 1 },
    ],
  });
  const authors = await t.createCollection({
    name: 'authors',
    ...ALL_LISTABLE,
    fields: [
      { name: 'name', type: 'text' },
      { name: 'rank', type: 'number' },
      { name: 'country', type: 'select', values: ['fr', 'de', 'us'], maxSelect: 1 },
      { name: 'secret', type: 'text', hidden: true },
    ],
  });
  // a self relation is added once the collection exists
  const authorsPatch = await t.request('PATCH', '/api/collections/authors', {
    token: 'superuser',
    body: {
      fields: [
        ...authors.fields,
        { name: 'mentor', type: 'relation', collectionId: authors.id, maxSelect: 1 },
      ],
    },
  });
  assert.equal(authorsPatch.status, 200, JSON.stringify(authorsPatch.body));
  const posts = await t.createCollection({
    name: 'posts',
    ...ALL_LISTABLE,
    fields: [
      { name: 'title', type: 'text' },
      { name: 'views', type: 'number' },
      { name: 'score', type: 'number' },
      { name: 'active', type: 'bool' },
      { name: 'status', type: 'select', values: ['draft', 'published', 'archived'], maxSelect: 1 },
      { name: 'labels', type: 'select', values: ['a', 'b', 'c', 'd'], maxSelect: 4 },
      { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
      { name: 'tags', type: 'relation', collectionId: tags.id, maxSelect: 5 },
      { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
      { name: 'published', type: 'date' },
      { name: 'data', type: 'json' },
      { name: 'code', type: 'text' },
      { name: 'note', type: 'text' },
      { name: 'secret', type: 'text', hidden: true },
    ],
  });
  await t.createCollection({
    name: 'comments',
    ...ALL_LISTABLE,
    fields: [
      { name: 'message', type: 'text' },
      { name: 'post', type: 'relation', collectionId: posts.id, maxSelect: 1 },
      { name: 'user', type: 'relation', collectionId: users.id, maxSelect: 1 },
      { name: 'likes', type: 'number' },
      { name: 'meta', type: 'json' },
      { name: 'place', type: 'geoPoint' },
    ],
  });
  await t.createCollection({
    name: 'links',
    ...ALL_LISTABLE,
    fields: [
      { name: 'name', type: 'text' },
      { name: 'posts', type: 'relation', collectionId: posts.id, maxSelect: 5 },
      { name: 'hiddenPosts', type: 'relation', collectionId: posts.id, maxSelect: 5, hidden: true },
    ],
  });
  await t.createCollection({
    name: 'notes',
    ...ALL_LISTABLE,
    fields: [
      { name: 'title', type: 'text' },
      { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
      { name: 'shared', type: 'relation', collectionId: users.id, maxSelect: 5 },
    ],
  });
  const insert = async (collection: string, rows: Record<string, unknown>[]) => {
    for (const body of rows) {
      const res = await t.request('POST', `/api/collections/${collection}/records`, {
        token: 'superuser',
        body,
      });
      assert.equal(res.status, 200, `${collection} ${JSON.stringify(res.body)}`);
    }
  };
  await insert('tags', TAGS);
  await insert(
    'users',
    USERS.map((u) => ({ ...u, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD })),
  );
  await insert('authors', AUTHORS);
  await insert('posts', POSTS);
  await insert('comments', COMMENTS);
  await insert('links', LINKS);
  await insert('notes', NOTES);
}

/** Signs a fixture user in and returns the token. */
export async function signIn(t: TestApp, email: string): Promise<string> {
  const res = await t.request('POST', '/api/collections/users/auth-with-password', {
    body: { identity: email, password: USER_PASSWORD },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.token;
}

/** Lists a collection with a filter and returns the keys of the records, sorted. */
export async function listKeys(
  t: TestApp,
  collection: string,
  filter: string | undefined,
  opts: RequestOptions & { query?: string } = {},
): Promise<Key[]> {
  const params = new URLSearchParams({ perPage: '100' });
  if (filter !== undefined) params.set('filter', filter);
  const path = `/api/collections/${collection}/records?${params}${opts.query ? `&${opts.query}` : ''}`;
  const res = await t.request('GET', path, opts);
  assert.equal(res.status, 200, `${filter}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items.map((r: { id: string }) => KEY_OF.get(r.id) ?? r.id).sort();
}

/**
 * The keys of the records an anonymous viewer would see under the collection's listRule and
 * `filter`, judged one record at a time on its values in memory (rules/match-values.ts:
 * what realtime, createRules and storage use), not by the list query. Sorted.
 */
export async function memoryKeys(t: TestApp, collection: string, filter: string | undefined): Promise<Key[]> {
  const { db, collections } = t.app;
  const c = collections.get(collection);
  const deps = { db, collection: (idOrName: string) => collections.find(idOrName) };
  const rows = await db.all(db.qb.selectFrom(c.name).selectAll());
  const checks = { rule: c.listRule, filter };
  const seen = await Promise.all(
    rows.map(async (row) => {
      const values = decodeRow(c, row);
      const ok = await viewerMatchesValues(deps, db, c, values, checks, { superuser: false });
      return ok ? [KEY_OF.get(String(values.id)) as Key] : [];
    }),
  );
  const keys = seen.flat();
  return keys.sort();
}

/** One case: a filter and the keys of the records it must return. */
export type FilterCase = readonly [filter: string, expected: readonly Key[]];

/**
 * Asserts filter cases: one `describe` per dialect with one server seeded with the fixture, and one
 * test per case of each table (`{ posts: [...cases], comments: [...] }`), listed anonymously and
 * judged on each record's values in memory (both must give the expected keys).
 */
export function assertFilterCases(
  title: string,
  tables: Record<string, readonly FilterCase[]>,
  extra?: (app: () => TestApp, dialect: Dialect) => void,
): void {
  for (const dialect of DIALECTS) {
    describe(`${title} (${dialect})`, () => {
      let t: TestApp;
      before(async () => {
        t = await startTestApp(dialect);
        await seedFilterFixture(t);
      });
      after(() => t.close());
      for (const [collection, cases] of Object.entries(tables)) {
        for (const [filter, expected] of cases) {
          test(`${collection}: ${filter}`, async () => {
            assert.deepEqual(await listKeys(t, collection, filter), [...expected].sort());
            // the one in-memory evaluator agrees with the SQL the list ran
            assert.deepEqual(await memoryKeys(t, collection, filter), [...expected].sort(), 'in memory');
          });
        }
      }
      extra?.(() => t, dialect);
    });
  }
}
