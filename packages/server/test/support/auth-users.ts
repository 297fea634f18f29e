import assert from 'node:assert/strict';
import type { TestApp } from './app.ts';

/** A signed-in record of the `users` auth collection. */
export interface TestUser {
  id: string;
  email: string;
  token: string;
}

export const USER_PASSWORD = 'user-password-123';

/**
 * Creates the `users` auth collection (PocketBase's defaults: records may sign up, and
 * each may list, view, update and delete only itself), with a text `name` and a number
 * `level` for rules to read, and returns it.
 */
export async function createUsersCollection(t: TestApp): Promise<any> {
  return t.createCollection({
    name: 'users',
    type: 'auth',
    listRule: 'id = @request.auth.id',
    viewRule: 'id = @request.auth.id',
    createRule: '',
    updateRule: 'id = @request.auth.id',
    deleteRule: 'id = @request.auth.id',
    fields: [
      { name: 'name', type: 'text' },
      { name: 'level', type: 'number' },
    ],
  });
}

/**
 * The `users` collection of createUsersCollection, but every signed-in user may list all
 * users (an over-broad listRule): for tests of what such a list still hides.
 */
export async function createListedUsersCollection(t: TestApp): Promise<any> {
  await createUsersCollection(t);
  const users = await t.request('PATCH', '/api/collections/users', {
    token: 'superuser',
    body: { listRule: '@request.auth.id != ""' },
  });
  assert.equal(users.status, 200, JSON.stringify(users.body));
  return users.body;
}

/**
 * Creates a user through the API as the superuser (so `verified` and `emailVisibility`
 * can be set) and signs it in with POST /api/collections/users/auth-with-password.
 */
export async function createUser(
  t: TestApp,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<TestUser> {
  const created = await t.request('POST', '/api/collections/users/records', {
    token: 'superuser',
    body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD, ...extra },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const auth = await t.request('POST', '/api/collections/users/auth-with-password', {
    body: { identity: email, password: USER_PASSWORD },
  });
  assert.equal(auth.status, 200, JSON.stringify(auth.body));
  return { id: created.body.id, email, token: auth.body.token };
}
