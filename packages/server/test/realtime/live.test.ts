import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyDiff, type LiveItem } from '../../src/realtime/live/diff.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { WsClient } from '../support/realtime.ts';

/** A live list as a client keeps it: the first result with every diff applied. */
function follow(first: any) {
  const state = { items: first.result.items as LiveItem[], totalItems: first.result.totalItems as number };
  return {
    state,
    apply(diff: any) {
      state.items = applyDiff(state.items, diff);
      if (diff.totalItems !== undefined) state.totalItems = diff.totalItems;
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`live list queries (${dialect})`, () => {
    let t: TestApp;
    let a: TestUser;
    let b: TestUser;
    const sockets: WsClient[] = [];
    before(async () => {
      t = await startTestApp(dialect);
      const users = await createUsersCollection(t);
      a = await createUser(t, 'a@example.com');
      b = await createUser(t, 'b@example.com');
      await t.createCollection({
        name: 'tasks',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'rank', type: 'number' },
          { name: 'list', type: 'text' },
        ],
      });
      await t.createCollection({
        name: 'notes',
        listRule: 'owner = @request.auth.id',
        viewRule: 'owner = @request.auth.id',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
        ],
      });
    });
    after(async () => {
      for (const ws of sockets) ws.close();
      await t.close();
    });

    const open = async (token?: string) => {
      const ws = await WsClient.open(t.url);
      sockets.push(ws);
      if (token) assert.equal((await ws.request({ type: 'auth', token })).type, 'ack');
      return ws;
    };
    const write = async (method: string, path: string, body?: unknown) => {
      const res = await t.request(method, path, { token: 'superuser', body });
      assert.ok(res.status === 200 || res.status === 204, JSON.stringify(res.body));
      return res.body;
    };
    const task = (title: string, rank: number, list: string) =>
      write('POST', '/api/collections/tasks/records', { title, rank, list });
    const rest = async (collection: string, query: string, token = 'superuser') =>
      (await t.request('GET', `/api/collections/${collection}/records?${query}`, { token })).body;

    test('the first result is the list, then inserts, updates and deletes come as diffs with positions', async () => {
      await task('t2', 2, 'L1');
      await task('t4', 4, 'L1');
      await task('other', 3, 'L2');
      const ws = await open();
      const first = await ws.request({
        type: 'live',
        query: { collection: 'tasks', filter: "list = 'L1'", sort: 'rank' },
      });
      const expected = await rest('tasks', `filter=${encodeURIComponent("list = 'L1'")}&sort=rank`);
      assert.deepEqual(first, {
        type: 'live.result',
        id: 'r1',
        live: 'r1',
        seq: first.seq,
        result: expected,
      });
      assert.equal(typeof first.seq, 'number');
      const view = follow(first);

      const t3 = await task('t3', 3, 'L1');
      const ins = await ws.live.next();
      assert.deepEqual(ins, {
        type: 'live.diff',
        live: 'r1',
        page: 1,
        perPage: 30,
        totalItems: 3,
        totalPages: 1,
        seq: ins.seq,
        removed: [],
        inserted: [{ index: 1, record: t3 }],
        updated: [],
      });
      assert.ok(ins.seq > first.seq);
      view.apply(ins);

      const renamed = await write('PATCH', `/api/collections/tasks/records/${t3.id}`, { title: 't3!' });
      const upd = await ws.live.next();
      assert.deepEqual([upd.removed, upd.inserted, upd.updated], [[], [], [{ index: 1, record: renamed }]]);
      view.apply(upd);

      await write('DELETE', `/api/collections/tasks/records/${first.result.items[0].id}`);
      const del = await ws.live.next();
      assert.deepEqual(del.removed, [{ id: first.result.items[0].id, index: 0 }]);
      assert.equal(del.totalItems, 2);
      view.apply(del);
      const now = await rest('tasks', `filter=${encodeURIComponent("list = 'L1'")}&sort=rank`);
      assert.deepEqual(view.state, { items: now.items, totalItems: now.totalItems });
    });

    test('a sort value that changes moves the record: removed from its old place, inserted at its new one', async () => {
      await task('t5', 5, 'L1');
      const ws = await open();
      const first = await ws.request({
        type: 'live',
        query: { collection: 'tasks', filter: "list = 'L1'", sort: 'rank' },
      });
      assert.equal(first.result.items.length, 3);
      const view = follow(first);
      const top = first.result.items[0];
      const moved = await write('PATCH', `/api/collections/tasks/records/${top.id}`, { rank: 99 });
      const d = await ws.live.next();
      assert.deepEqual(d.removed, [{ id: top.id, index: 0 }]);
      assert.deepEqual(d.inserted, [{ index: first.result.items.length - 1, record: moved }]);
      view.apply(d);
      const now = await rest('tasks', `filter=${encodeURIComponent("list = 'L1'")}&sort=rank`);
      assert.deepEqual(view.state.items, now.items);
    });

    test('a batch arrives as one diff', async () => {
      const ws = await open();
      const first = await ws.request({
        type: 'live',
        query: { collection: 'tasks', filter: "list = 'B'", sort: 'rank' },
      });
      assert.equal(first.result.totalItems, 0);
      const res = await t.request('POST', '/api/batch', {
        token: 'superuser',
        body: {
          requests: [1, 2, 3].map((rank) => ({
            method: 'POST',
            url: '/api/collections/tasks/records',
            body: { title: `b${rank}`, rank, list: 'B' },
          })),
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const d = await ws.live.next();
      assert.deepEqual(
        d.inserted.map((i: any) => [i.index, i.record.title]),
        [
          [0, 'b1'],
          [1, 'b2'],
          [2, 'b3'],
        ],
      );
      assert.equal(d.totalItems, 3);
    });

    test('two users on one query see their own records; a record that changes owner leaves one view and enters the other', async () => {
      const note = await write('POST', '/api/collections/notes/records', { title: 'n1', owner: a.id });
      await write('POST', '/api/collections/notes/records', { title: 'n2', owner: b.id });
      const wa = await open(a.token);
      const wb = await open(b.token);
      const query = { collection: 'notes', sort: 'title' };
      const fa = await wa.request({ type: 'live', query });
      const fb = await wb.request({ type: 'live', query });
      assert.deepEqual(
        fa.result.items.map((r: any) => r.title),
        ['n1'],
      );
      assert.deepEqual(
        fb.result.items.map((r: any) => r.title),
        ['n2'],
      );
      const moved = await write('PATCH', `/api/collections/notes/records/${note.id}`, { owner: b.id });
      const da = await wa.live.next();
      assert.deepEqual([da.removed, da.inserted, da.totalItems], [[{ id: note.id, index: 0 }], [], 0]);
      const db = await wb.live.next();
      assert.deepEqual([db.inserted, db.totalItems], [[{ index: 0, record: moved }], 2]);
    });

    test("a change to another owner's record does not re-run the query (its key range)", async () => {
      await t.createCollection({
        name: 'memos',
        listRule: 'owner = @request.auth.id',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'owner', type: 'text' },
        ],
      });
      const memo = (title: string, owner: string) =>
        write('POST', '/api/collections/memos/records', { title, owner });
      await memo('old', b.id);
      const wa = await open(a.token);
      await wa.request({ type: 'live', query: { collection: 'memos', filter: "title != 'x'" } });
      const runs = t.app.live.stats().runs;
      await memo('for b', b.id);
      const mine = await memo('for a', a.id);
      const d = await wa.live.next();
      assert.deepEqual(
        d.inserted.map((i: any) => i.record.id),
        [mine.id],
      );
      // b's memo re-ran nothing: the one run is for a's memo
      assert.equal(t.app.live.stats().runs - runs, 1);
    });

    test('a record that leaves the filter off the page still changes the count', async () => {
      const memo = (title: string, owner: string) =>
        write('POST', '/api/collections/memos/records', { title, owner });
      await memo('z1', a.id);
      const far = await memo('z2', a.id);
      const wa = await open(a.token);
      const first = await wa.request({
        type: 'live',
        query: { collection: 'memos', filter: "title ~ 'z'", sort: 'title', perPage: 1 },
      });
      assert.deepEqual([first.result.items.length, first.result.totalItems], [1, 2]);
      await write('PATCH', `/api/collections/memos/records/${far.id}`, { owner: b.id });
      const d = await wa.live.next();
      assert.deepEqual([d.removed, d.inserted, d.updated, d.totalItems], [[], [], [], 1]);
    });

    test('/metrics shows the live queries open, their runs and the diff latency', async () => {
      const ws = await open();
      await ws.request({ type: 'live', query: { collection: 'tasks', filter: "list = 'M'" } });
      await task('m', 1, 'M');
      await ws.live.next();
      const res = await t.request('GET', '/metrics', { token: 'superuser' });
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(String(res.body))?.[1]);
      assert.ok(value('forgebase_live_queries_open') >= 1);
      assert.ok(value('forgebase_live_query_runs_total') >= 2);
      assert.ok(value('forgebase_live_diff_latency_seconds_count') >= 1);
      assert.ok(value('forgebase_live_diff_latency_seconds_sum') > 0);
    });

    test('expand and fields shape the result; a change to an expanded record re-runs the query', async () => {
      await write('POST', '/api/collections/notes/records', { title: 'mine', owner: a.id });
      const wa = await open(a.token);
      const first = await wa.request({
        type: 'live',
        query: { collection: 'notes', sort: 'title', expand: 'owner', fields: 'id,title,expand.owner.name' },
      });
      const expected = await rest(
        'notes',
        'sort=title&expand=owner&fields=id,title,expand.owner.name',
        a.token,
      );
      assert.deepEqual(first.result, expected);
      assert.ok(first.result.items.length > 0);
      await write('PATCH', `/api/collections/users/records/${a.id}`, { name: 'Ada' });
      const d = await wa.live.next();
      assert.deepEqual(
        d.updated.map((u: any) => u.record.expand.owner.name),
        first.result.items.map(() => 'Ada'),
      );
    });

    test("a change to the viewer's own auth record re-evaluates rules that read it", async () => {
      await t.createCollection({
        name: 'levels',
        listRule: '@request.auth.level > 1',
        fields: [{ name: 'title', type: 'text' }],
      });
      const shown = await write('POST', '/api/collections/levels/records', { title: 'for level 2+' });
      const wb = await open(b.token);
      const first = await wb.request({ type: 'live', query: { collection: 'levels' } });
      assert.equal(first.result.totalItems, 0);
      await write('PATCH', `/api/collections/users/records/${b.id}`, { level: 2 });
      const d = await wb.live.next();
      assert.deepEqual([d.inserted, d.totalItems], [[{ index: 0, record: shown }], 1]);
    });

    test('signing in on the socket re-evaluates its live queries', async () => {
      const ws = await open();
      const first = await ws.request({ type: 'live', query: { collection: 'notes', sort: 'title' } });
      assert.deepEqual(first.result.items, []);
      assert.equal((await ws.request({ type: 'auth', token: b.token })).type, 'ack');
      const d = await ws.live.next();
      const now = await rest('notes', 'sort=title', b.token);
      assert.deepEqual(applyDiff([], d), now.items);
      assert.equal(d.totalItems, now.totalItems);
    });

    test('N subscribers of one query share one re-run per change', async () => {
      const clients = await Promise.all([1, 2, 3, 4, 5].map(() => open()));
      const query = { collection: 'tasks', filter: "list = 'S'", sort: 'rank' };
      for (const ws of clients) await ws.request({ type: 'live', query });
      const before = t.app.live.stats();
      await task('s1', 1, 'S');
      const diffs = await Promise.all(clients.map((ws) => ws.live.next()));
      for (const d of diffs)
        assert.deepEqual(
          d.inserted.map((i: any) => i.record.title),
          ['s1'],
        );
      const after = t.app.live.stats();
      assert.equal(after.runs - before.runs, 1);
      assert.equal(after.diffs - before.diffs, 1);
    });

    test('a burst of concurrent writes: the diffs, applied in order, end at the final state', async () => {
      const ws = await open();
      const query = { collection: 'tasks', filter: "list = 'burst'", sort: 'rank' };
      const view = follow(await ws.request({ type: 'live', query }));
      await Promise.all(Array.from({ length: 20 }, (_, i) => task(`x${i}`, i, 'burst')));
      const final = await rest('tasks', `filter=${encodeURIComponent("list = 'burst'")}&sort=rank`);
      while (view.state.totalItems < 20) view.apply(await ws.live.next());
      assert.deepEqual(view.state, { items: final.items, totalItems: 20 });
    });

    test('a rule change re-runs the query; a rule only superusers pass ends it with live.error', async () => {
      await t.createCollection({
        name: 'posts',
        listRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'open', type: 'bool' },
        ],
      });
      const shut = await write('POST', '/api/collections/posts/records', { title: 'p1', open: false });
      await write('POST', '/api/collections/posts/records', { title: 'p2', open: true });
      const ws = await open(a.token);
      const first = await ws.request({ type: 'live', query: { collection: 'posts', sort: 'title' } });
      assert.equal(first.result.totalItems, 2);
      await write('PATCH', '/api/collections/posts', { listRule: 'open = true' });
      const d = await ws.live.next();
      assert.deepEqual([d.removed, d.totalItems], [[{ id: shut.id, index: 0 }], 1]);
      await write('PATCH', '/api/collections/posts', { listRule: null });
      assert.deepEqual(await ws.live.next(), {
        type: 'live.error',
        live: 'r2',
        status: 403,
        message: 'Only superusers can perform this action.',
      });
      assert.equal((await ws.request({ type: 'unlive', live: 'r2' })).status, 404);
    });

    test('unlive stops the diffs; the socket limit, names in use and bad queries are refused', async () => {
      const ws = await open();
      await ws.request({ type: 'live', query: { collection: 'tasks', filter: "list = 'U'" } });
      assert.deepEqual(await ws.request({ type: 'unlive', live: 'r1' }), { type: 'ack', id: 'r2' });
      const other = await ws.request({ type: 'live', query: { collection: 'tasks', filter: "list = 'U2'" } });
      await task('u', 1, 'U');
      await task('u2', 1, 'U2');
      const d = await ws.live.next();
      assert.equal(d.live, other.live);
      assert.deepEqual(await ws.request({ type: 'live', query: { collection: 'nope' } }), {
        type: 'error',
        id: 'r4',
        status: 404,
        message: 'Missing collection context.',
      });
      const bad = await ws.request({ type: 'live', query: { collection: 'tasks', filter: 'title ~' } });
      assert.deepEqual([bad.type, bad.status], ['error', 400]);
      const noQuery = await ws.request({ type: 'live' });
      assert.deepEqual(
        [noQuery.status, noQuery.message],
        [400, 'A live frame needs a `query` object or a `function`.'],
      );
      const sockets = t.app.live.stats().subscriptions;
      assert.ok(sockets >= 1);
    });
  });
}
