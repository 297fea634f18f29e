import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { functionsDir, TODOS } from '../support/functions.ts';
import { WsClient } from '../support/realtime.ts';

const MODULE = `
import { query, mutation } from '@forgebase/server/functions';
export const open = query(async (ctx) => ctx.records('todos').list({ filter: 'done = false', sort: 'title' }));
export const count = query(async (ctx) => ({ open: (await ctx.records('todos').list({ filter: 'done = false', skipTotal: false })).totalItems }));
export const nested = query((ctx) => ctx.run('todos/count'));
export const add = mutation((ctx, { title }) => ctx.records('todos').create({ title, owner: ctx.auth?.id ?? '' }));
`;

for (const dialect of DIALECTS) {
  describe(`live query functions and limits (${dialect})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    const fns = functionsDir({ 'todos.ts': MODULE });
    const sockets: WsClient[] = [];
    before(async () => {
      t = await startTestApp(dialect, { functionsDir: fns.dir, liveMaxPerSocket: 3 });
      await createUsersCollection(t);
      alice = await createUser(t, 'alice@example.com');
      bob = await createUser(t, 'bob@example.com');
      await t.createCollection(TODOS);
      await t.createCollection({ name: 'unrelated', listRule: '', fields: [{ name: 'x', type: 'text' }] });
    });
    after(async () => {
      for (const ws of sockets) ws.close();
      await t.close();
      fns.remove();
    });

    const open = async (token: string) => {
      const ws = await WsClient.open(t.url);
      sockets.push(ws);
      assert.equal((await ws.request({ type: 'auth', token })).type, 'ack');
      return ws;
    };
    const add = async (token: string, title: string) => {
      const res = await t.request('POST', '/api/functions/todos/add', { token, body: { title } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    test('a query function is live: its first result, then diffs under the rules of its caller', async () => {
      await add(alice.token, 'a1');
      await add(bob.token, 'b1');
      const wa = await open(alice.token);
      const first = await wa.request({ type: 'live', function: 'todos/open' });
      assert.deepEqual(
        first.result.items.map((r: any) => r.title),
        ['a1'],
      );
      await add(bob.token, 'b2');
      const a2 = await add(alice.token, 'a2');
      const d = await wa.live.next();
      assert.deepEqual([d.inserted, d.totalItems], [[{ index: 1, record: a2 }], 2]);
    });

    test('a function result that is not a list comes whole; a write elsewhere re-runs nothing', async () => {
      const wa = await open(alice.token);
      const first = await wa.request({ type: 'live', function: 'todos/nested' });
      assert.deepEqual(first.result, { open: 2 });
      const runs = t.app.live.stats().runs;
      await t.request('POST', '/api/collections/unrelated/records', { token: 'superuser', body: { x: '1' } });
      await add(alice.token, 'a3');
      const d = await wa.live.next();
      assert.deepEqual(d, { type: 'live.diff', live: first.live, seq: d.seq, result: { open: 3 } });
      // the unrelated write ran nothing; alice's todo re-ran this query (and the open one above)
      assert.equal(t.app.live.stats().runs - runs, 2);
    });

    test('mutations cannot be live; unknown functions are a 404', async () => {
      const ws = await open(bob.token);
      const mut = await ws.request({ type: 'live', function: 'todos/add', args: { title: 'x' } });
      assert.deepEqual([mut.status, mut.message], [400, 'Only query functions can be live.']);
      const none = await ws.request({ type: 'live', function: 'todos/nope' });
      assert.deepEqual([none.status, none.message], [404, 'The function was not found.']);
    });

    test('a socket may open live_max_per_socket live queries; a name in use is refused', async () => {
      const ws = await open(bob.token);
      for (const f of ['open', 'count', 'nested'])
        assert.equal((await ws.request({ type: 'live', function: `todos/${f}` })).type, 'live.result');
      const over = await ws.request({ type: 'live', query: { collection: 'todos' } });
      assert.deepEqual(
        [over.status, over.message],
        [400, 'At most 3 live queries can be open on one socket.'],
      );
      assert.equal((await ws.request({ type: 'unlive', live: 'r2' })).type, 'ack');
      const again = await ws.request({ type: 'live', query: { collection: 'todos' } });
      assert.equal(again.type, 'live.result');
      const reply = new Promise<any>((resolve) =>
        ws.ws.on('message', (data) => {
          const frame = JSON.parse(data.toString());
          if (frame.id === again.id) resolve(frame);
        }),
      );
      ws.ws.send(JSON.stringify({ type: 'live', id: again.id, function: 'todos/open' }));
      assert.deepEqual(await reply, {
        type: 'error',
        id: again.id,
        status: 400,
        message: 'A live query with this id is open already.',
      });
    });
  });
}

// Crossing nodes is PostgreSQL's job (LISTEN/NOTIFY); SQLite is one process by design.
describe('live queries across nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  let urlB: string;
  before(async () => {
    t = await startTestApp('postgres');
    await t.createCollection({ name: 'items', listRule: '', fields: [{ name: 'title', type: 'text' }] });
    nodeB = await createApp(t.config, { logger: silentLogger() });
    urlB = await nodeB.start();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
  });

  test('a write on node A updates a live query on node B', async () => {
    const ws = await WsClient.open(urlB);
    try {
      const first = await ws.request({ type: 'live', query: { collection: 'items', sort: 'title' } });
      assert.equal(first.result.totalItems, 0);
      const res = await t.request('POST', '/api/collections/items/records', {
        token: 'superuser',
        body: { title: 'from A' },
      });
      const d = await ws.live.next();
      assert.deepEqual([d.inserted, d.totalItems], [[{ index: 0, record: res.body }], 1]);
    } finally {
      ws.close();
    }
  });
});
