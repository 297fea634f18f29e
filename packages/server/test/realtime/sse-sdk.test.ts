import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { Inbox, sdk, TestEventSource } from '../support/realtime.ts';

for (const dialect of DIALECTS) {
  describe(`realtime SSE with the PocketBase SDK (${dialect})`, () => {
    let t: TestApp;
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
    after(() => t.close());

    const create = async (body: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/collections/posts/records', { token: 'superuser', body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    test('subscribe(*) receives create, update and delete as the records API shows them', async () => {
      const pb = sdk(t.url);
      const inbox = new Inbox<any>();
      const unsubscribe = await pb.collection('posts').subscribe('*', (e) => inbox.push(e));
      const created = await create({ title: 'a', secret: 's' });
      const ev1 = await inbox.next();
      assert.equal(ev1.action, 'create');
      assert.deepEqual(ev1.record, omit(created, 'secret'));
      const updated = await t.request('PATCH', `/api/collections/posts/records/${created.id}`, {
        token: 'superuser',
        body: { title: 'b' },
      });
      const ev2 = await inbox.next();
      assert.equal(ev2.action, 'update');
      assert.deepEqual(ev2.record, omit(updated.body, 'secret'));
      await t.request('DELETE', `/api/collections/posts/records/${created.id}`, { token: 'superuser' });
      const ev3 = await inbox.next();
      assert.equal(ev3.action, 'delete');
      assert.deepEqual(ev3.record, omit(updated.body, 'secret'));
      await unsubscribe();
      await pb.realtime.unsubscribe();
    });

    test('a record topic gets only that record; options apply fields; unsubscribe stops events', async () => {
      const pb = sdk(t.url);
      const one = await create({ title: 'one' });
      const other = await create({ title: 'other' });
      const recordInbox = new Inbox<any>();
      const allInbox = new Inbox<any>();
      const unsubRecord = await pb
        .collection('posts')
        .subscribe(one.id, (e) => recordInbox.push(e), { fields: 'id,title' });
      await pb.collection('posts').subscribe('*', (e) => allInbox.push(e));
      await t.request('PATCH', `/api/collections/posts/records/${other.id}`, {
        token: 'superuser',
        body: { title: 'x' },
      });
      await t.request('PATCH', `/api/collections/posts/records/${one.id}`, {
        token: 'superuser',
        body: { title: 'y' },
      });
      assert.equal((await allInbox.next()).record.id, other.id);
      assert.equal((await allInbox.next()).record.id, one.id);
      const ev = await recordInbox.next();
      assert.deepEqual(ev, { action: 'update', record: { id: one.id, title: 'y' } });
      assert.equal(recordInbox.items.length, 0);
      await unsubRecord();
      await t.request('PATCH', `/api/collections/posts/records/${one.id}`, {
        token: 'superuser',
        body: { title: 'z' },
      });
      assert.equal((await allInbox.next()).record.title, 'z');
      assert.equal(recordInbox.items.length, 0);
      await pb.realtime.unsubscribe();
    });

    test('a superuser sees hidden fields; the filter option narrows', async () => {
      const pb = sdk(t.url, t.superuserToken);
      const inbox = new Inbox<any>();
      await pb.collection('posts').subscribe('*', (e) => inbox.push(e), { filter: 'title ~ "keep"' });
      await create({ title: 'drop me', secret: 's1' });
      const kept = await create({ title: 'keep me', secret: 's2' });
      const ev = await inbox.next();
      assert.deepEqual(ev, { action: 'create', record: kept });
      assert.equal(ev.record.secret, 's2');
      await pb.realtime.unsubscribe();
    });

    test('POST /api/realtime validates, 404s unknown clients and keeps the bound auth', async () => {
      const blank = await t.request('POST', '/api/realtime', { body: { subscriptions: [] } });
      assert.equal(blank.status, 400);
      assert.deepEqual(blank.body.data, {
        clientId: { code: 'validation_required', message: 'Cannot be blank.' },
      });
      const missing = await t.request('POST', '/api/realtime', {
        body: { clientId: 'nope', subscriptions: [] },
      });
      assert.deepEqual(missing.body, { status: 404, message: 'Missing or invalid client id.', data: {} });

      const connected = new Inbox<string>();
      const es = new TestEventSource(`${t.url}/api/realtime`);
      es.addEventListener('PB_CONNECT', (e) => {
        assert.equal(e.lastEventId, JSON.parse(e.data).clientId);
        connected.push(JSON.parse(e.data).clientId);
      });
      const clientId = await connected.next();
      const bind = await t.request('POST', '/api/realtime', {
        token: 'superuser',
        body: { clientId, subscriptions: ['posts'] },
      });
      assert.equal(bind.status, 204);
      const guest = await t.request('POST', '/api/realtime', { body: { clientId, subscriptions: [] } });
      assert.deepEqual(guest.body, {
        status: 403,
        message: "The current and the previous request authorization don't match.",
        data: {},
      });
      es.close();
    });
  });
}

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = o;
  return rest;
}
