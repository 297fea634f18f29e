import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { Inbox, sdk, TestEventSource, titlesUntil } from '../support/realtime.ts';

for (const dialect of DIALECTS) {
  describe(`realtime rules (${dialect})`, () => {
    let t: TestApp;
    let a: TestUser;
    let b: TestUser;
    const clients: PocketBase[] = [];
    before(async () => {
      t = await startTestApp(dialect);
      const users = await createUsersCollection(t);
      a = await createUser(t, 'a@example.com');
      b = await createUser(t, 'b@example.com');
      const rule = 'owner = @request.auth.id || public = true';
      await t.createCollection({
        name: 'notes',
        listRule: rule,
        viewRule: rule,
        fields: [
          { name: 'title', type: 'text' },
          { name: 'public', type: 'bool' },
          { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
        ],
      });
      await t.createCollection({
        name: 'docs',
        listRule: null,
        viewRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
    });
    after(async () => {
      for (const pb of clients) await pb.realtime.unsubscribe();
      await t.close();
    });

    const client = (token?: string) => {
      const pb = sdk(t.url, token);
      clients.push(pb);
      return pb;
    };
    const create = async (collection: string, body: Record<string, unknown>) => {
      const res = await t.request('POST', `/api/collections/${collection}/records`, {
        token: 'superuser',
        body,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    test('each viewer receives only the records its listRule lets it list', async () => {
      const viewers = {
        a: client(a.token),
        b: client(b.token),
        anon: client(),
        su: client(t.superuserToken),
      };
      const inboxes = Object.fromEntries(
        await Promise.all(
          Object.entries(viewers).map(async ([name, pb]) => {
            const inbox = new Inbox<any>();
            await pb.collection('notes').subscribe('*', (e) => inbox.push(e));
            return [name, inbox] as const;
          }),
        ),
      );
      await create('notes', { title: 'b-private', owner: b.id });
      await create('notes', { title: 'a-private', owner: a.id });
      await create('notes', { title: 'public', public: true });
      assert.deepEqual(await titlesUntil(inboxes.a!, 'public'), ['a-private', 'public']);
      assert.deepEqual(await titlesUntil(inboxes.b!, 'public'), ['b-private', 'public']);
      assert.deepEqual(await titlesUntil(inboxes.anon!, 'public'), ['public']);
      assert.deepEqual(await titlesUntil(inboxes.su!, 'public'), ['b-private', 'a-private', 'public']);
    });

    test('collection/* follows the listRule and collection/id the viewRule (null: superusers only)', async () => {
      const doc = await create('docs', { title: 'd0' });
      const anon = client();
      const all = new Inbox<any>();
      const one = new Inbox<any>();
      const marker = new Inbox<any>();
      await anon.collection('docs').subscribe('*', (e) => all.push(e));
      await anon.collection('docs').subscribe(doc.id, (e) => one.push(e));
      await anon.collection('notes').subscribe('*', (e) => marker.push(e));
      await t.request('PATCH', `/api/collections/docs/records/${doc.id}`, {
        token: 'superuser',
        body: { title: 'd1' },
      });
      await create('notes', { title: 'marker', public: true });
      assert.deepEqual((await one.next()).record.title, 'd1');
      assert.equal((await marker.next()).record.title, 'marker');
      assert.equal(all.items.length, 0);
    });

    test('a delete reaches exactly the viewers who could see the record', async () => {
      const note = await create('notes', { title: 'to-delete', owner: a.id });
      const pa = client(a.token);
      const pb = client(b.token);
      const ia = new Inbox<any>();
      const ib = new Inbox<any>();
      await pa.collection('notes').subscribe('*', (e) => ia.push(e));
      await pb.collection('notes').subscribe('*', (e) => ib.push(e));
      await t.request('DELETE', `/api/collections/notes/records/${note.id}`, { token: 'superuser' });
      await create('notes', { title: 'after-delete', public: true });
      const first = await ia.next();
      assert.deepEqual([first.action, first.record.id, first.record.title], ['delete', note.id, 'to-delete']);
      assert.equal((await ib.next()).record.title, 'after-delete');
    });

    test('expand follows the rules of the expanded collection for each viewer', async () => {
      const owner = client(a.token);
      const other = client(b.token);
      const io = new Inbox<any>();
      const ix = new Inbox<any>();
      await owner
        .collection('notes')
        .subscribe('*', (e) => io.push(e), { expand: 'owner', fields: 'title,expand.owner.email' });
      await other
        .collection('notes')
        .subscribe('*', (e) => ix.push(e), { expand: 'owner', fields: 'title,expand.owner.email' });
      await create('notes', { title: 'shared', public: true, owner: a.id });
      assert.deepEqual((await io.next()).record, { title: 'shared', expand: { owner: { email: a.email } } });
      // b may see the note but not the user a (users' viewRule): an empty expand, like PocketBase
      assert.deepEqual((await ix.next()).record, { title: 'shared', expand: {} });
      // a note with no owner: the requested relation is empty, still `expand: {}`
      await create('notes', { title: 'ownerless', public: true });
      assert.deepEqual((await io.next()).record, { title: 'ownerless', expand: {} });
      assert.deepEqual((await ix.next()).record, { title: 'ownerless', expand: {} });
    });

    const openStream = async (token: string) => {
      const es = new TestEventSource(`${t.url}/api/realtime`);
      const ids = new Inbox<string>();
      const errors = new Inbox<unknown>();
      const events = new Inbox<any>();
      es.addEventListener('PB_CONNECT', (e) => ids.push(JSON.parse(e.data).clientId));
      es.addEventListener('notes/*', (e) => events.push(JSON.parse(e.data)));
      es.onerror = (e) => errors.push(e);
      const clientId = await ids.next();
      const res = await t.request('POST', '/api/realtime', {
        token,
        body: { clientId, subscriptions: ['notes/*'] },
      });
      assert.equal(res.status, 204);
      return { es, errors, events };
    };

    test('a password change or a deleted auth record ends that client’s stream', async () => {
      const c = await createUser(t, 'c@example.com');
      const d = await createUser(t, 'd@example.com');
      const sc = await openStream(c.token);
      const sd = await openStream(d.token);
      const before = t.app.realtime.metrics().clients;
      const changed = await t.request('PATCH', `/api/collections/users/records/${c.id}`, {
        token: 'superuser',
        body: { password: 'another-pass-123', passwordConfirm: 'another-pass-123' },
      });
      assert.equal(changed.status, 200);
      await sc.errors.next();
      sc.es.close();
      // a change that keeps the tokenKey leaves the stream open
      await t.request('PATCH', `/api/collections/users/records/${d.id}`, {
        token: 'superuser',
        body: { name: 'D' },
      });
      await create('notes', { title: 'still-open', public: true });
      assert.equal((await sd.events.next()).record.title, 'still-open');
      assert.equal(sd.errors.items.length, 0);
      await t.request('DELETE', `/api/collections/users/records/${d.id}`, { token: 'superuser' });
      await sd.errors.next();
      sd.es.close();
      assert.equal(t.app.realtime.metrics().clients, before - 2);
    });
  });
}
