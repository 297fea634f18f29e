import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatDate } from '../../src/tools/time.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { WsClient } from '../support/realtime.ts';

for (const dialect of DIALECTS) {
  describe(`realtime WebSocket (${dialect})`, () => {
    let t: TestApp;
    const sockets: WsClient[] = [];
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'posts',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'secret', type: 'text', hidden: true },
        ],
      });
    });
    after(async () => {
      for (const ws of sockets) ws.close();
      await t.close();
    });

    const open = async () => {
      const ws = await WsClient.open(t.url);
      sockets.push(ws);
      return ws;
    };
    const create = async (title: string) => {
      const res = await t.request('POST', '/api/collections/posts/records', {
        token: 'superuser',
        body: { title, secret: 's' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    test('subscribe with a filter: ack, then only matching events with their seq', async () => {
      const ws = await open();
      assert.deepEqual(await ws.request({ type: 'subscribe', topic: 'posts', filter: 'title ~ "keep"' }), {
        type: 'ack',
        id: 'r1',
      });
      await create('drop');
      const kept = await create('keep this');
      const ev = await ws.events.next();
      assert.equal(typeof ev.seq, 'number');
      const { secret: _hidden, ...visible } = kept;
      assert.deepEqual(ev, { type: 'event', topic: 'posts', seq: ev.seq, action: 'create', record: visible });
    });

    test('auth binds the viewer; frames that fail get an error frame with a status', async () => {
      const ws = await open();
      assert.deepEqual(await ws.request({ type: 'auth', token: 'not-a-token' }), {
        type: 'error',
        id: 'r1',
        status: 401,
        message: 'The token is missing, invalid or expired.',
      });
      assert.deepEqual(await ws.request({ type: 'auth', token: t.superuserToken }), {
        type: 'ack',
        id: 'r2',
      });
      assert.deepEqual(await ws.request({ type: 'subscribe', topic: 'nope/*' }), {
        type: 'error',
        id: 'r3',
        status: 404,
        message: 'Missing collection context.',
      });
      const bad = await ws.request({ type: 'subscribe', topic: 'posts', filter: 'title ~' });
      assert.deepEqual([bad.type, bad.status], ['error', 400]);
      assert.deepEqual(await ws.request({ type: 'bogus' }), {
        type: 'error',
        id: 'r5',
        status: 400,
        message: 'Unknown frame type.',
      });
      assert.deepEqual(await ws.request({ type: 'ping' }), { type: 'pong', id: 'r6' });
      // a superuser sees hidden fields
      await ws.request({ type: 'subscribe', topic: 'posts/*' });
      await create('for su');
      assert.equal((await ws.events.next()).record.secret, 's');
    });

    test('unsubscribe stops a topic', async () => {
      const ws = await open();
      await ws.request({ type: 'subscribe', topic: 'posts', filter: 'title = "a"' });
      await ws.request({ type: 'subscribe', topic: 'posts/*', filter: 'title = "b"' });
      assert.deepEqual(await ws.request({ type: 'unsubscribe', topic: 'posts' }), { type: 'ack', id: 'r3' });
      await create('a');
      await create('b');
      const ev = await ws.events.next();
      assert.deepEqual([ev.topic, ev.record.title], ['posts/*', 'b']);
      assert.equal(ws.events.items.length, 0);
    });

    test('a reconnecting client resumes from its last seq without gap or repeat', async () => {
      const first = await open();
      await first.request({ type: 'subscribe', topic: 'posts', filter: 'title ~ "r-"' });
      await create('r-0');
      const last = (await first.events.next()).seq;
      first.close();
      await first.closed;
      for (const title of ['r-1', 'r-2', 'r-3']) await create(title);
      const second = await open();
      await second.request({ type: 'subscribe', topic: 'posts', filter: 'title ~ "r-"' });
      const ack = await second.request({ type: 'resume', since: last });
      assert.equal(ack.type, 'ack');
      await create('r-4');
      const got: string[] = [];
      const seqs: number[] = [];
      for (let i = 0; i < 4; i++) {
        const ev = await second.events.next();
        got.push(ev.record.title);
        seqs.push(ev.seq);
      }
      assert.deepEqual(got, ['r-1', 'r-2', 'r-3', 'r-4']);
      assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!));
      assert.ok(ack.seq >= seqs[2]! && ack.seq < seqs[3]!);
      assert.equal(second.events.items.length, 0);
    });

    test('a resume older than the kept log is refused: the client must reload', async () => {
      await create('old');
      await t.app.changes.prune(formatDate(new Date(Date.now() + 60_000)));
      await create('new');
      const ws = await open();
      assert.deepEqual(await ws.request({ type: 'resume', since: 1 }), {
        type: 'error',
        id: 'r1',
        status: 400,
        message: 'Too many changes were missed; reload the data and subscribe again.',
      });
    });
  });
}
