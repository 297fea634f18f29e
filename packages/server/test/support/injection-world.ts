import assert from 'node:assert/strict';
import type { TestApp, TestResponse } from './app.ts';
import { createUser, createUsersCollection, type TestUser } from './auth-users.ts';

/** Titles that look like SQL, quoting or odd text; each is stored as plain data. */
export const HOSTILE_TITLES = [
  "O'Brien",
  'say "hi"',
  "'; DROP TABLE notes; --",
  '" OR 1=1 --',
  '100% sure',
  'a_b',
  'axb',
  'back\\slash',
  'שלום עולם',
  '\u202Egnp.exe',
  '😀 emoji',
  '/* c */ -- d',
];

/** The shared world of the injection suites: users A and B, notes with private ones. */
export interface InjectionWorld {
  a: TestUser;
  b: TestUser;
  /** Note ids by title; `private of A` is private to A, the rest are public notes of A. */
  ids: Map<string, string>;
}

/**
 * Creates `users` and `notes` (listRule/viewRule: public or owned) and seeds every hostile
 * title as a public note of A, plus one private note of A.
 */
export async function seedInjectionWorld(t: TestApp): Promise<InjectionWorld> {
  const users = await createUsersCollection(t);
  const a = await createUser(t, 'a@example.com');
  const b = await createUser(t, 'b@example.com');
  await t.createCollection({
    name: 'notes',
    listRule: 'private = false || owner = @request.auth.id',
    viewRule: 'private = false || owner = @request.auth.id',
    createRule: "@request.auth.id != '' && owner = @request.auth.id",
    fields: [
      { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
      { name: 'title', type: 'text' },
      { name: 'private', type: 'bool' },
      { name: 'secret', type: 'text', hidden: true },
    ],
  });
  const ids = new Map<string, string>();
  for (const title of [...HOSTILE_TITLES, 'private of A']) {
    const res = await t.request('POST', '/api/collections/notes/records', {
      token: 'superuser',
      body: { owner: a.id, title, private: title === 'private of A', secret: `secret ${title}` },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    ids.set(title, res.body.id);
  }
  return { a, b, ids };
}

/** Asserts a PocketBase-shaped error: exactly `data`, `message`, `status`, with this status. */
export function assertApiError(res: TestResponse, status: number, context = ''): void {
  assert.equal(res.status, status, `${context}: ${JSON.stringify(res.body)}`);
  assert.deepEqual(Object.keys(res.body), ['data', 'message', 'status'], context);
  assert.equal(res.body.status, status, context);
  assert.equal(typeof res.body.message, 'string', context);
  assert.equal(typeof res.body.data, 'object', context);
  assert.notEqual(res.body.data, null, context);
  // never a driver message or SQL text
  assert.doesNotMatch(
    JSON.stringify(res.body),
    /SELECT |\bFROM "|SQLITE_|syntax error at or near|\.ts:\d+|node:internal/,
    context,
  );
}

/** Asserts that the tables are intact: every seeded note is still there, as the superuser sees it. */
export async function assertTablesIntact(t: TestApp, world: InjectionWorld): Promise<void> {
  const res = await t.request('GET', '/api/collections/notes/records?perPage=500', { token: 'superuser' });
  assert.equal(res.status, 200);
  const byId = new Map(res.body.items.map((r: { id: string; title: string }) => [r.id, r.title]));
  for (const [title, id] of world.ids) assert.equal(byId.get(id), title);
  const users = await t.request('GET', '/api/collections/users/records', { token: 'superuser' });
  assert.equal(users.body.totalItems, 2);
  const collection = await t.request('GET', '/api/collections/notes', { token: 'superuser' });
  assert.equal(collection.status, 200);
}
