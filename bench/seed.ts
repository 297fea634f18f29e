// Seeding through the HTTP API: the `items` collection and its records.
import { SUPERUSER } from './targets.ts';

const CATEGORIES = ['books', 'games', 'music', 'tools', 'garden'];

/** The `items` collection the scenarios run against; rules "" so measured requests are anonymous. */
export const ITEMS_COLLECTION = {
  name: 'items',
  type: 'base',
  listRule: '',
  viewRule: '',
  createRule: '',
  fields: [
    { name: 'title', type: 'text' },
    { name: 'category', type: 'select', values: CATEGORIES, maxSelect: 1 },
    { name: 'score', type: 'number' },
    { name: 'active', type: 'bool' },
  ],
  indexes: ['CREATE INDEX `idx_items_category_score` ON `items` (`category`, `score`)'],
};

/** The n-th generated item (deterministic, so every target gets the same data). */
export function makeItem(n: number): Record<string, unknown> {
  return {
    title: `Item number ${n}`,
    category: CATEGORIES[n % CATEGORIES.length],
    score: (n * 7919) % 10007,
    active: n % 3 !== 0,
  };
}

/** One JSON request to a bench server; throws with the answer unless it is a 200. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = token;
  const res = await fetch(url + path, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Signs the bench superuser in and creates the `items` collection (ForgeBase targets). */
export async function createItemsCollection(url: string): Promise<void> {
  const auth = await call(url, 'POST', '/api/collections/_superusers/auth-with-password', {
    identity: SUPERUSER.email,
    password: SUPERUSER.password,
  });
  await call(url, 'POST', '/api/collections', ITEMS_COLLECTION, auth.token);
}

/** Creates `count` records with `concurrency` requests in flight; returns their ids in creation order. */
export async function seedItems(url: string, count: number, concurrency = 32): Promise<string[]> {
  const ids = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const rec = await call(url, 'POST', '/api/collections/items/records', makeItem(n));
      ids[n] = rec.id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

/** The regular user the signed-in scenarios send requests as. */
export const BENCH_USER = { email: 'user@example.com', password: 'user-password-123' };

/**
 * Creates a `users` auth collection (PocketBase's default rules: each user sees only itself)
 * and one user, signs it in and returns its token (ForgeBase targets).
 */
export async function createBenchUser(url: string): Promise<string> {
  const su = await call(url, 'POST', '/api/collections/_superusers/auth-with-password', {
    identity: SUPERUSER.email,
    password: SUPERUSER.password,
  });
  await call(
    url,
    'POST',
    '/api/collections',
    {
      name: 'users',
      type: 'auth',
      listRule: 'id = @request.auth.id',
      viewRule: 'id = @request.auth.id',
      createRule: '',
      updateRule: 'id = @request.auth.id',
      deleteRule: 'id = @request.auth.id',
      fields: [{ name: 'name', type: 'text' }],
    },
    su.token,
  );
  await call(url, 'POST', '/api/collections/users/records', {
    ...BENCH_USER,
    passwordConfirm: BENCH_USER.password,
  });
  const auth = await call(url, 'POST', '/api/collections/users/auth-with-password', {
    identity: BENCH_USER.email,
    password: BENCH_USER.password,
  });
  return auth.token;
}
