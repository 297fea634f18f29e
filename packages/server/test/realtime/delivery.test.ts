import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { Inbox, WsClient } from '../support/realtime.ts';

for (const dialect of DIALECTS) {
  describe(`realtime delivery (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'items',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'body', type: 'text', max: 1_000_000 },
        ],
      });
    });
    after(() => t.close());

    const batch = (requests: unknown[]) =>
      t.request('POST', '/api/batch', { token: 'superuser', body: { requests } });

    test('a batch delivers each change once, after commit; a rolled-back batch delivers nothing', async () => {
      const ws = await WsClient.open(t.url);
      await ws.request({ type: 'subscribe', topic: 'items' });
      const delivered = new Inbox<unknown>();
      // an event must never be seen before its transaction committed
      ws.ws.on('message', async (data) => {
        const frame = JSON.parse(data.toString());
        if (frame.type !== 'event') return;
        const visible = await t.request('GET', `/api/collections/items/records/${frame.record.id}`);
        delivered.push(frame.action === 'delete' || visible.status === 200);
      });
      const failed = await batch([
        { method: 'POST', url: '/api/collections/items/records', body: { title: 'rolled back' } },
        { method: 'POST', url: '/api/collections/items/records', body: {} },
      ]);
      assert.equal(failed.status, 400);
      const ok = await batch([
        {
          method: 'POST',
          url: '/api/collections/items/records',
          body: { id: 'batchrecord0001', title: 'one' },
        },
        { method: 'PATCH', url: '/api/collections/items/records/batchrecord0001', body: { title: 'two' } },
        { method: 'POST', url: '/api/collections/items/records', body: { title: 'three' } },
      ]);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      await t.request('POST', '/api/collections/items/records', {
        token: 'superuser',
        body: { title: 'marker' },
      });
      const got: [string, string][] = [];
      for (let i = 0; i < 4; i++) {
        const ev = await ws.events.next();
        got.push([ev.action, ev.record.title]);
      }
      assert.deepEqual(got, [
        ['create', 'one'],
        ['update', 'two'],
        ['create', 'three'],
        ['create', 'marker'],
      ]);
      assert.equal(ws.events.items.length, 0);
      for (let i = 0; i < 4; i++) assert.equal(await delivered.next(), true);
      ws.close();
    });

    test('a client that stops reading is cut off while the others keep receiving', async () => {
      const { port } = new URL(t.url);
      const stalled = connect(Number(port), '127.0.0.1');
      stalled.write(`GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      const clientId = await new Promise<string>((resolve) => {
        let text = '';
        stalled.on('data', function onData(chunk) {
          text += chunk.toString();
          const m = /"clientId":"(\w+)"/.exec(text);
          if (m) {
            stalled.off('data', onData);
            // from here on the socket is never read again
            stalled.pause();
            resolve(m[1]!);
          }
        });
      });
      const ended = new Promise<void>((resolve) => stalled.on('close', () => resolve()));
      stalled.on('error', () => undefined);
      // many subscriptions make each change many frames for this one client
      const subscriptions = Array.from(
        { length: 1000 },
        (_, i) => `items?options=${encodeURIComponent(JSON.stringify({ query: { n: String(i) } }))}`,
      );
      const bound = await t.request('POST', '/api/realtime', {
        token: 'superuser',
        body: { clientId, subscriptions },
      });
      assert.equal(bound.status, 204);

      const healthy = await WsClient.open(t.url);
      await healthy.request({ type: 'subscribe', topic: 'items' });
      const before = t.app.realtime.metrics();
      const body = 'x'.repeat(20_000);
      const cut = () => t.app.realtime.metrics().slowDisconnects > before.slowDisconnects;
      for (let i = 0; i < 20 && !cut(); i++) {
        await t.request('POST', '/api/collections/items/records', {
          token: 'superuser',
          body: { title: `big ${i}`, body },
        });
        assert.equal((await healthy.events.next()).record.title, `big ${i}`);
      }
      const after = t.app.realtime.metrics();
      assert.equal(after.slowDisconnects, before.slowDisconnects + 1);
      assert.ok(after.eventsDropped > before.eventsDropped);
      assert.equal(after.clients, before.clients - 1);
      await t.request('POST', '/api/collections/items/records', {
        token: 'superuser',
        body: { title: 'after cut' },
      });
      assert.equal((await healthy.events.next()).record.title, 'after cut');
      healthy.close();
      // once it reads again, the stalled client finds its stream ended
      stalled.resume();
      await ended;
    });

    test('metrics count clients, subscriptions and delivered events', async () => {
      const m0 = t.app.realtime.metrics();
      const ws = await WsClient.open(t.url);
      await ws.request({ type: 'subscribe', topic: 'items' });
      await ws.request({ type: 'subscribe', topic: 'items/*' });
      const m1 = t.app.realtime.metrics();
      assert.deepEqual(
        [m1.clients, m1.wsClients, m1.subscriptions],
        [m0.clients + 1, m0.wsClients + 1, m0.subscriptions + 2],
      );
      await t.request('POST', '/api/collections/items/records', {
        token: 'superuser',
        body: { title: 'counted' },
      });
      await ws.events.next();
      await ws.events.next();
      assert.equal(t.app.realtime.metrics().eventsDelivered, m1.eventsDelivered + 2);
      // the same counters over HTTP, for superusers only
      const http = await t.request('GET', '/api/realtime/metrics', { token: 'superuser' });
      assert.equal(http.status, 200);
      assert.equal(http.body.subscriptions, m1.subscriptions);
      assert.equal(http.body.eventsDelivered, m1.eventsDelivered + 2);
      assert.equal((await t.request('GET', '/api/realtime/metrics')).status, 401);
      ws.close();
      await ws.closed;
    });
  });
}
