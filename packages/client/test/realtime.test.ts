import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RealtimeEvent, RecordModel } from '../src/index.ts';
import { startDropProxy } from './support/drop-proxy.ts';
import { ownSocketFetch } from './support/own-socket-fetch.ts';
import { client, DIALECTS, startTestApp, type TestApp, Waiter } from './support/server.ts';

/** A WebSocket that never connects, as on a runtime or network without WebSockets. */
class NoWebSocket {
  readyState = 3;
  onopen = null;
  onerror = null;
  onmessage = null;
  onclose: ((e: unknown) => void) | null = null;
  constructor() {
    queueMicrotask(() => this.onclose?.({}));
  }
  send() {}
  close() {}
}

for (const dialect of DIALECTS) {
  describe(`client realtime (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'notes',
        type: 'base',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'n', type: 'number' },
        ],
      });
    });
    after(() => t.close());

    const create = async (title: string, n = 0) => {
      const res = await t.request('POST', '/api/collections/notes/records', {
        token: 'superuser',
        body: { title, n },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as RecordModel;
    };

    test('subscribe over the WebSocket delivers creates, updates and deletes; unsubscribe stops them', async () => {
      const fb = client(t.url);
      const got = new Waiter<RealtimeEvent>();
      const stop = await fb.collection('notes').subscribe('*', got.push);
      assert.ok(fb.realtime.socket?.connected, 'the WebSocket is in use');
      const a = await create('ws-1');
      const e = await got.next();
      assert.equal(e.action, 'create');
      assert.equal(e.record.id, a.id);
      assert.ok(typeof e.seq === 'number' && e.seq > 0);
      await t.request('DELETE', `/api/collections/notes/records/${a.id}`, { token: 'superuser' });
      assert.equal((await got.next()).action, 'delete');
      await stop();
      const one = new Waiter<RealtimeEvent>();
      const stopOne = await fb.collection('notes').subscribe('*', one.push, { filter: "title = 'marker'" });
      await create('ws-2');
      await create('marker');
      assert.equal((await one.next()).record.title, 'marker');
      assert.deepEqual(got.pending, [], 'nothing after unsubscribe');
      await stopOne();
      fb.close();
    });

    test('a subscription to one record gets only its changes, with fields applied', async () => {
      const fb = client(t.url);
      const a = await create('one', 1);
      const got = new Waiter<RealtimeEvent>();
      const stop = await fb.collection('notes').subscribe(a.id, got.push, { fields: 'id,n' });
      await create('other');
      await t.request('PATCH', `/api/collections/notes/records/${a.id}`, {
        token: 'superuser',
        body: { n: 2 },
      });
      const e = await got.next();
      assert.deepEqual(e.record, { id: a.id, n: 2 });
      await stop();
      fb.close();
    });

    test('resume across a forced disconnect: events committed while offline arrive once, in order', async () => {
      const proxy = await startDropProxy(t.url);
      const fb = client(proxy.url, undefined, { reconnectBackoff: [20] });
      const got = new Waiter<RealtimeEvent>();
      await fb.collection('notes').subscribe('*', got.push, { filter: "title ~ 'gap-'" });
      await create('gap-a');
      assert.equal((await got.next()).record.title, 'gap-a');
      const before = proxy.accepted();
      proxy.refuse(true);
      proxy.dropAll();
      // committed while the client cannot reach the server
      await create('gap-b');
      await create('gap-c');
      proxy.refuse(false);
      const b = await got.next();
      const c = await got.next();
      assert.deepEqual([b.record.title, c.record.title], ['gap-b', 'gap-c']);
      assert.ok(proxy.accepted() > before, 'the client reconnected');
      await create('gap-d');
      const d = await got.next();
      assert.equal(d.record.title, 'gap-d');
      assert.ok((b.seq ?? 0) < (c.seq ?? 0) && (c.seq ?? 0) < (d.seq ?? 0));
      assert.deepEqual(got.pending, [], 'no event twice');
      fb.close();
      await proxy.close();
    });

    test('a disconnect before any event still resumes from where the subscription started', async () => {
      const proxy = await startDropProxy(t.url);
      const fb = client(proxy.url, undefined, { reconnectBackoff: [20] });
      const got = new Waiter<RealtimeEvent>();
      await fb.collection('notes').subscribe('*', got.push, { filter: "title = 'quiet-gap'" });
      proxy.refuse(true);
      proxy.dropAll();
      await create('quiet-gap');
      proxy.refuse(false);
      assert.equal((await got.next()).record.title, 'quiet-gap');
      fb.close();
      await proxy.close();
    });

    test('signing in reconnects the socket with the new auth; resume replays what the new auth may see', async () => {
      await t.createCollection({
        name: 'private_notes',
        type: 'base',
        listRule: "@request.auth.id != ''",
        fields: [{ name: 'title', type: 'text' }],
      });
      const fb = client(t.url, undefined, { reconnectBackoff: [20] });
      try {
        const got = new Waiter<RealtimeEvent>();
        await fb.collection('private_notes').subscribe('*', got.push);
        const write = async (title: string) =>
          t.request('POST', '/api/collections/private_notes/records', {
            token: 'superuser',
            body: { title },
          });
        await write('hidden from guests');
        const reopened = new Promise<void>((resolve) => {
          const off = fb.realtime.socket?.onOpen(() => {
            off?.();
            resolve();
          });
        });
        fb.authStore.save(t.superuserToken);
        await reopened;
        await write('seen when signed in');
        // the guest never got the first; signed in, the resume hands it over, once, before the new one
        assert.deepEqual(
          [(await got.next()).record.title, (await got.next()).record.title],
          ['hidden from guests', 'seen when signed in'],
        );
        assert.deepEqual(got.pending, []);
      } finally {
        fb.close();
      }
    });

    test('without WebSockets the client falls back to SSE (/api/realtime)', async () => {
      for (const WebSocket of [null, NoWebSocket as never]) {
        // SSE streams on sockets of their own: see own-socket-fetch.ts
        const fb = client(t.url, undefined, { WebSocket, fetch: ownSocketFetch });
        const got = new Waiter<RealtimeEvent>();
        const stop = await fb.collection('notes').subscribe('*', got.push, { filter: "title = 'sse'" });
        assert.equal(fb.realtime.socket, undefined, 'no WebSocket in use');
        await create('sse');
        const e = await got.next();
        assert.equal(e.action, 'create');
        assert.equal(e.record.title, 'sse');
        await stop();
        fb.close();
      }
    });
  });
}
