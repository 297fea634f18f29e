import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient as libsql } from '@libsql/client';
import type { ArgsOf, FunctionRef, ResultOf } from '../src/index.ts';
import { ClientError, createApi, type ForgeBase } from '../src/index.ts';
import { client, DIALECTS, startTodosApp, type TestApp } from './support/server.ts';
import type * as todos from './types/fixtures/fb_functions/todos.ts';

/** The Api typegen writes for the fixture module, spelled out. */
type Api = {
  todos: {
    openTodos: FunctionRef<'query', ArgsOf<typeof todos.openTodos>, ResultOf<typeof todos.openTodos>>;
    rename: FunctionRef<'mutation', ArgsOf<typeof todos.rename>, ResultOf<typeof todos.rename>>;
    ping: FunctionRef<'action', ArgsOf<typeof todos.ping>, ResultOf<typeof todos.ping>>;
  };
};
const api = createApi<Api>();

for (const dialect of DIALECTS) {
  describe(`client functions and databases (${dialect})`, () => {
    let t: TestApp;
    let fb: ForgeBase;
    let close: () => Promise<void>;
    before(async () => {
      ({ t, close } = await startTodosApp(dialect, { listRule: '', updateRule: '' }));
      fb = client(t.url, t.superuserToken);
    });
    after(() => close());

    test('query, mutation and action calls answer the typed results', async () => {
      const a = await fb.collection('todos').create({ title: 'one', owner: 'u1' });
      await fb.collection('todos').create({ title: 'two', owner: 'u1', done: true });
      const open = await fb.query(api.todos.openTodos, { owner: 'u1' });
      assert.deepEqual(open, { owner: 'u1', titles: ['one'] });
      assert.equal(await fb.mutation(api.todos.rename, { id: a.id, title: 'uno!' }), 4);
      assert.equal((await fb.collection('todos').getOne(a.id)).title, 'uno!');
      assert.equal(await fb.action(api.todos.ping), 'pong');
      assert.deepEqual(await fb.query(fb.api.todos.openTodos, { owner: 'nobody' }), {
        owner: 'nobody',
        titles: [],
      });
    });

    test('bad args are a 400 ClientError with field data; an unknown function a 404', async () => {
      const bad = await fb.query(api.todos.openTodos, { owner: 1 as never }).catch((e: unknown) => e);
      assert.ok(bad instanceof ClientError);
      assert.equal(bad.status, 400);
      assert.ok('owner' in bad.data, JSON.stringify(bad.data));
      const missing = await fb.query(createApi<any>().todos.nothing, {}).catch((e: unknown) => e);
      assert.ok(missing instanceof ClientError && missing.code === 'not_found');
    });

    test('fb.databases: create, list, tokens for @libsql/client, revoke, delete', async () => {
      const name = `shop_${dialect}`;
      const info = await fb.databases.create(name, { maxRows: 100 });
      assert.equal(info.name, name);
      assert.equal(info.maxRows, 100);
      assert.ok((await fb.databases.list()).some((d) => d.name === name));
      assert.equal((await fb.databases.get(name)).name, name);
      const tok = await fb.databases.createToken(name);
      assert.match(tok.token, /^fbdb_/);
      const db = libsql({ url: fb.databases.url(name), authToken: tok.token });
      await db.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
      await db.execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: ['apple'] });
      assert.equal((await db.execute('SELECT name FROM items')).rows[0]?.name, 'apple');
      assert.deepEqual(
        (await fb.databases.listTokens(name)).map((x) => x.id),
        [tok.id],
      );
      await fb.databases.revokeToken(name, tok.id);
      await assert.rejects(db.execute('SELECT 1'));
      db.close();
      await fb.databases.delete(name);
      assert.equal(await fb.databases.get(name).catch((e: ClientError) => e.code), 'not_found');
    });
  });
}
