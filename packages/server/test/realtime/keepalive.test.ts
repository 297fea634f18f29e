import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, testConfig } from '../support/app.ts';
import { Inbox, WsClient } from '../support/realtime.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

for (const dialect of DIALECTS) {
  describe(`realtime keep-alive and idle clients (${dialect})`, () => {
    let app: App;
    let url: string;
    let storage: TestStorage;
    before(async () => {
      storage = testStorage(dialect);
      app = await createApp(testConfig(dialect, storage.dir, storage.schema), {
        logger: silentLogger(),
        realtime: { heartbeatMs: 30, idleTimeoutMs: 150 },
      });
      url = await app.start();
    });
    after(async () => {
      await app.stop();
      await storage.remove();
    });

    test('an SSE stream gets keep-alive comments and is closed when it stays without subscriptions', async () => {
      const chunks = new Inbox<string>();
      const ended = new Inbox<true>();
      request(`${url}/api/realtime`, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push(c));
        res.on('end', () => ended.push(true));
      }).end();
      assert.match(await chunks.next(), /^id:\w+\nevent:PB_CONNECT\ndata:\{"clientId":"\w+"\}\n\n/);
      let text = '';
      while (!text.includes(': ping\n\n')) text += await chunks.next();
      assert.equal(await ended.next(), true);
    });

    test('a WebSocket is pinged, and closed when idle without subscriptions', async () => {
      const ws = await WsClient.open(url);
      const pinged = new Inbox<true>();
      ws.ws.on('ping', () => pinged.push(true));
      assert.equal(await pinged.next(), true);
      assert.deepEqual(await ws.closed, { code: 1000, reason: 'idle' });
    });

    test('a new token secret of the auth collection ends its clients’ connections', async () => {
      const users = await app.collections.create({ name: 'members', type: 'auth', listRule: '', fields: [] });
      const member = await app.records.asSystem().create('members', {
        email: 'm@example.com',
        password: 'member-pass-123',
        passwordConfirm: 'member-pass-123',
      });
      const { token } = await app.auth.authResponse(
        users,
        (await app.records.findById(users, member.id as string))!,
      );
      const ws = await WsClient.open(url);
      assert.deepEqual(await ws.request({ type: 'auth', token }), { type: 'ack', id: 'r1' });
      await ws.request({ type: 'subscribe', topic: 'members' });
      await app.collections.update('members', { authToken: { secret: 'x'.repeat(50), duration: 1000 } });
      assert.deepEqual(await ws.closed, { code: 1000, reason: 'auth collection changed' });
    });

    test('a client with only a live query is not idle', async () => {
      await app.collections.create({ name: 'watched', type: 'base', listRule: '', fields: [] });
      const ws = await WsClient.open(url);
      const first = await ws.request({ type: 'live', query: { collection: 'watched' } });
      assert.equal(first.type, 'live.result');
      const pinged = new Inbox<true>();
      ws.ws.on('ping', () => pinged.push(true));
      // many heartbeats later (well past the idle timeout) the socket is still open
      for (let i = 0; i < 10; i++) await pinged.next();
      assert.equal(ws.ws.readyState, ws.ws.OPEN);
      ws.close();
    });

    test('a client with a subscription is not idle', async () => {
      const ws = await WsClient.open(url);
      assert.equal((await ws.request({ type: 'subscribe', topic: 'anything' })).status, 404);
      await app.collections.create({ name: 'kept', type: 'base', listRule: '', fields: [] });
      assert.deepEqual(await ws.request({ type: 'subscribe', topic: 'kept' }), { type: 'ack', id: 'r2' });
      const pinged = new Inbox<true>();
      ws.ws.on('ping', () => pinged.push(true));
      // many heartbeats later (well past the idle timeout) the socket is still open
      for (let i = 0; i < 10; i++) await pinged.next();
      assert.equal(ws.ws.readyState, ws.ws.OPEN);
      ws.close();
    });
  });
}
