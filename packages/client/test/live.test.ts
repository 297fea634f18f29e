import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ArgsOf, FunctionRef, ListResult, RecordModel, ResultOf } from '../src/index.ts';
import { createApi } from '../src/index.ts';
import { createUseLive } from '../src/react.ts';
import { readable } from '../src/svelte.ts';
import { startDropProxy } from './support/drop-proxy.ts';
import { client, DIALECTS, startTodosApp, type TestApp, Waiter } from './support/server.ts';
import type * as todos from './types/fixtures/fb_functions/todos.ts';

type Api = {
  todos: {
    openTodos: FunctionRef<'query', ArgsOf<typeof todos.openTodos>, ResultOf<typeof todos.openTodos>>;
  };
};
const api = createApi<Api>();
type Page = ListResult<RecordModel> | undefined;
const titles = (p: Page) => (p?.items ?? []).map((r) => r.title);

for (const dialect of DIALECTS) {
  describe(`client live queries (${dialect})`, () => {
    let t: TestApp;
    let close: () => Promise<void>;
    before(async () => {
      ({ t, close } = await startTodosApp(dialect, { listRule: '' }));
    });
    after(() => close());

    const write = async (method: string, path: string, body?: unknown) => {
      const res = await t.request(method, path, { token: 'superuser', body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as RecordModel;
    };
    const todo = (title: string, owner = 'o1') =>
      write('POST', '/api/collections/todos/records', { title, owner });

    test('collection(x).live: the first result, then each change; a Svelte store; unsubscribing stops it', async () => {
      await todo('a');
      const fb = client(t.url);
      const live = fb.collection('todos').live({ filter: "owner = 'o1'", sort: 'title' });
      const seen = new Waiter<Page>();
      const calls: Page[] = [];
      const stop = readable(live).subscribe((v) => {
        calls.push(v);
        if (v) seen.push(v);
      });
      assert.deepEqual(calls, [undefined], 'a store answers at once');
      assert.deepEqual(titles(await seen.next()), ['a']);
      const b = await todo('b');
      assert.deepEqual(titles(await seen.next()), ['a', 'b']);
      await write('PATCH', `/api/collections/todos/records/${b.id}`, { title: '0b' });
      const moved = await seen.next();
      assert.deepEqual([titles(moved), moved?.totalItems], [['0b', 'a'], 2]);
      stop();
      await todo('c');
      await todo('marker', 'o2');
      const otherLive = fb.collection('todos').live({ filter: "owner = 'o2'" });
      assert.deepEqual(titles((await otherLive.ready()) as Page), ['marker']);
      otherLive.close();
      assert.deepEqual(seen.pending, [], 'nothing after unsubscribing');
      fb.close();
    });

    test('fb.live(api.fn, args): a live query function', async () => {
      const fb = client(t.url);
      const live = fb.live(api.todos.openTodos, { owner: 'fn' });
      const seen = new Waiter<unknown>();
      live.subscribe((v) => v && seen.push(v));
      assert.deepEqual(await seen.next(), { owner: 'fn', titles: [] });
      await todo('for fn', 'fn');
      assert.deepEqual(await seen.next(), { owner: 'fn', titles: ['for fn'] });
      live.close();
      fb.close();
    });

    test('a bad query rejects ready() with the server error', async () => {
      const fb = client(t.url);
      await assert.rejects(
        fb.collection('todos').live({ filter: 'title ~' }).ready(),
        (e: any) => e.status === 400,
      );
      await assert.rejects(fb.collection('nope').live().ready(), (e: any) => e.status === 404);
      fb.close();
    });

    test('after a forced disconnect the live query asks again and goes on', async () => {
      const proxy = await startDropProxy(t.url);
      const fb = client(proxy.url, undefined, { reconnectBackoff: [20] });
      const live = fb.collection('todos').live({ filter: "owner = 'gap'", sort: 'title' });
      const seen = new Waiter<Page>();
      live.subscribe((v) => v && seen.push(v));
      try {
        assert.deepEqual(titles(await seen.next()), []);
        proxy.refuse(true);
        proxy.dropAll();
        await todo('while offline', 'gap');
        proxy.refuse(false);
        assert.deepEqual(titles(await seen.next()), ['while offline']);
        await todo('z after', 'gap');
        assert.deepEqual(titles(await seen.next()), ['while offline', 'z after']);
      } finally {
        live.close();
        fb.close();
        await proxy.close();
      }
    });

    test('the React adapter reads the current value and re-renders on changes', async () => {
      const fb = client(t.url);
      let onChange: (() => void) | undefined;
      let stop: (() => void) | undefined;
      // just enough of React: useMemo runs make once, the store's subscribe is kept
      const react = {
        useMemo: <V>(make: () => V) => make(),
        useSyncExternalStore: <S>(subscribe: (cb: () => void) => () => void, snapshot: () => S) => {
          stop ??= subscribe(() => onChange?.());
          return snapshot();
        },
      };
      const useLive = createUseLive(react);
      const changed = new Waiter<true>();
      onChange = () => changed.push(true);
      let live: ReturnType<ReturnType<typeof fb.collection>['live']> | undefined;
      assert.equal(
        useLive(() => {
          live = fb.collection('todos').live({ filter: "owner = 'react'" });
          return live;
        }, []),
        undefined,
      );
      try {
        await changed.next();
        assert.deepEqual(titles(live?.value as Page), []);
        await todo('r', 'react');
        // each change tells the component to render again; it reads the store's value then
        while (titles(live?.value as Page).length === 0) await changed.next();
        assert.deepEqual(titles(live?.value as Page), ['r']);
      } finally {
        stop?.();
        fb.close();
      }
    });
  });
}
