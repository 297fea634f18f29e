import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RecordChange } from '../../src/records/hooks.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser, USER_PASSWORD } from '../support/auth-users.ts';
import { functionsDir, TODOS } from '../support/functions.ts';

const HOOKS_MODULE = `
import { BadRequestError, ForbiddenError, hook } from '@forgebase/server/functions';

export const gate = hook('users', 'beforeAuth', (ctx, e) => {
  if (e.record.name === 'banned') throw new ForbiddenError('Banned.');
});
export const signedIn = hook('users', 'afterAuth', async (ctx, e) => {
  await ctx.asSystem().records('logins').create({ note: e.record.email + ' by ' + e.method });
});

export const stamp = hook('todos', 'beforeCreate', (ctx, e) => {
  e.record.owner ??= ctx.auth?.id;
  e.record.title = String(e.record.title ?? '').trim();
});
export const refuse = hook('todos', 'beforeCreate', (ctx, e) => {
  if (e.record.title === 'forbidden')
    throw new BadRequestError('No forbidden todos.', { title: { code: 'validation_forbidden', message: 'Not this one.' } });
});
export const keepTitle = hook('todos', 'beforeUpdate', (ctx, e) => {
  e.record = { ...e.record, title: String(e.record.title ?? 'kept').toUpperCase() };
});
export const audit = hook('todos', 'afterCreate', async (ctx, e) => {
  await ctx.asSystem().records('audit').create({ note: 'created ' + e.record.title });
  if (e.record.title === 'rollback') throw new Error('the after-hook failed');
});
export const committed = hook('todos', 'afterCommitCreate', async (ctx, e) => {
  await ctx.asSystem().records('seen').create({ seq: e.seq, note: e.record.title });
});
`;

/** Resolves with the next committed change of `collection` this app makes (bounded). */
function nextChange(t: TestApp, collection: string, timeoutMs = 10_000): Promise<RecordChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no change of ${collection} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = t.app.records.onChange((c) => {
      if (c.collection.name !== collection) return;
      clearTimeout(timer);
      off();
      resolve(c);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`function hooks (${dialect})`, () => {
    let t: TestApp;
    let alice: TestUser;
    const fns = functionsDir({ 'hooks.ts': HOOKS_MODULE });
    before(async () => {
      t = await startTestApp(dialect, { functionsDir: fns.dir });
      await createUsersCollection(t);
      await t.createCollection(TODOS);
      await t.createCollection({ name: 'audit', fields: [{ name: 'note', type: 'text' }] });
      await t.createCollection({
        name: 'seen',
        fields: [
          { name: 'seq', type: 'number' },
          { name: 'note', type: 'text' },
        ],
      });
      await t.createCollection({ name: 'logins', fields: [{ name: 'note', type: 'text' }] });
      alice = await createUser(t, 'alice@example.com');
    });
    after(async () => {
      await t.close();
      fns.remove();
    });
    const notes = async (collection: string) =>
      (await t.app.records.asSystem().list(collection, { sort: 'note' })).items.map((r) => r.note);

    test('a beforeCreate hook changes the record; afterCreate writes in its transaction; afterCommit follows', async () => {
      const seen = nextChange(t, 'seen');
      const res = await t.request('POST', '/api/collections/todos/records', {
        token: alice.token,
        body: { title: '  milk  ' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.title, 'milk');
      assert.equal(res.body.owner, alice.id);
      assert.deepEqual(await notes('audit'), ['created milk']);
      const change = await seen;
      assert.equal(change.record.note, 'milk');
      assert.ok(Number(change.record.seq) > 0);
    });

    test('a beforeCreate hook that throws refuses the write with its error', async () => {
      const res = await t.request('POST', '/api/collections/todos/records', {
        token: alice.token,
        body: { title: 'forbidden' },
      });
      assert.deepEqual(res.body, {
        data: { title: { code: 'validation_forbidden', message: 'Not this one.' } },
        message: 'No forbidden todos.',
        status: 400,
      });
      const all = await t.app.records.asSystem().list('todos', { filter: "title = 'forbidden'" });
      assert.equal(all.totalItems, 0);
    });

    test('an afterCreate hook that throws rolls the write back with what it wrote', async () => {
      const res = await t.request('POST', '/api/collections/todos/records', {
        token: alice.token,
        body: { title: 'rollback' },
      });
      assert.equal(res.status, 500);
      const all = await t.app.records.asSystem().list('todos', { filter: "title = 'rollback'" });
      assert.equal(all.totalItems, 0);
      assert.deepEqual(await notes('audit'), ['created milk']);
    });

    test('beforeAuth may refuse a sign-in; afterAuth hears each completed one', async () => {
      assert.deepEqual(await notes('logins'), ['alice@example.com by password']);
      await t.app.records.asSystem().create('users', {
        email: 'banned@example.com',
        name: 'banned',
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
      });
      const res = await t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity: 'banned@example.com', password: USER_PASSWORD },
      });
      assert.deepEqual(res.body, { data: {}, message: 'Banned.', status: 403 });
      assert.deepEqual(await notes('logins'), ['alice@example.com by password']);
    });

    test('a beforeUpdate hook may replace the record', async () => {
      const created = await t.app.records.asSystem().create('todos', { title: 'eggs', owner: alice.id });
      const res = await t.request('PATCH', `/api/collections/todos/records/${created.id}`, {
        token: alice.token,
        body: { title: 'bread' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.title, 'BREAD');
    });
  });
}
