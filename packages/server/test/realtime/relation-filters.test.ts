import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { Inbox, sdk, titlesUntil, WsClient } from '../support/realtime.ts';

// issue 12 #10: a subscription filter that crosses a relation into a collection whose
// listRule depends on the viewer must be judged per viewer, not once for a shared group
for (const dialect of DIALECTS) {
  describe(`realtime filters across relations (${dialect})`, () => {
    let t: TestApp;
    let alice: TestUser;
    const clients: PocketBase[] = [];
    const sockets: WsClient[] = [];
    // users may list only themselves: `author.name` reaches alice for alice alone
    const filter = 'author.name = "Alice" || title = "marker"';
    before(async () => {
      t = await startTestApp(dialect);
      const users = await createUsersCollection(t);
      alice = await createUser(t, 'alice@example.com', { name: 'Alice' });
      await t.createCollection({
        name: 'posts',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'author', type: 'relation', collectionId: users.id, maxSelect: 1 },
        ],
      });
    });
    after(async () => {
      for (const pb of clients) await pb.realtime.unsubscribe();
      for (const ws of sockets) ws.close();
      await t.close();
    });

    const client = (token?: string) => {
      const pb = sdk(t.url, token);
      clients.push(pb);
      return pb;
    };
    const create = async (body: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/collections/posts/records', { token: 'superuser', body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const listTitles = async (token?: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/posts/records?filter=${encodeURIComponent(filter)}`,
        {
          ...(token ? { token } : {}),
        },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items.map((r: any) => r.title).sort();
    };

    test('each SSE and WebSocket viewer receives only what its REST list with the same filter returns', async () => {
      // the signed-in user subscribes first: a shared group would be judged as alice
      const inboxes = { user: new Inbox<any>(), anon: new Inbox<any>() };
      await client(alice.token)
        .collection('posts')
        .subscribe('*', (e) => inboxes.user.push(e), { filter });
      await client()
        .collection('posts')
        .subscribe('*', (e) => inboxes.anon.push(e), { filter });
      const wsUser = await WsClient.open(t.url);
      const wsAnon = await WsClient.open(t.url);
      sockets.push(wsUser, wsAnon);
      assert.equal((await wsUser.request({ type: 'auth', token: alice.token })).type, 'ack');
      assert.equal((await wsUser.request({ type: 'subscribe', topic: 'posts/*', filter })).type, 'ack');
      assert.equal((await wsAnon.request({ type: 'subscribe', topic: 'posts/*', filter })).type, 'ack');

      await create({ title: 'by alice', author: alice.id });
      await create({ title: 'marker' });

      // REST with the same filter is the reference
      assert.deepEqual(await listTitles(alice.token), ['by alice', 'marker']);
      assert.deepEqual(await listTitles(), ['marker']);
      assert.deepEqual(await titlesUntil(inboxes.user, 'marker'), ['by alice', 'marker']);
      assert.deepEqual(await titlesUntil(inboxes.anon, 'marker'), ['marker']);
      assert.deepEqual(await titlesUntil(wsUser.events, 'marker'), ['by alice', 'marker']);
      assert.deepEqual(await titlesUntil(wsAnon.events, 'marker'), ['marker']);
    });

    test('the anonymous viewer subscribing first does not hide the event from the user', async () => {
      const inboxes = { anon: new Inbox<any>(), user: new Inbox<any>() };
      await client()
        .collection('posts')
        .subscribe('*', (e) => inboxes.anon.push(e), { filter: `${filter} || title = "m2"` });
      await client(alice.token)
        .collection('posts')
        .subscribe('*', (e) => inboxes.user.push(e), { filter: `${filter} || title = "m2"` });
      await create({ title: 'again by alice', author: alice.id });
      await create({ title: 'm2' });
      assert.deepEqual(await titlesUntil(inboxes.anon, 'm2'), ['m2']);
      assert.deepEqual(await titlesUntil(inboxes.user, 'm2'), ['again by alice', 'm2']);
    });
  });
}
