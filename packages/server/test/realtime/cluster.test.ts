import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type App, createApp } from '../../src/app.ts';
import { silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { TEST_PG_URL } from '../support/pg.ts';
import { WsClient } from '../support/realtime.ts';

// Crossing nodes is PostgreSQL's job (LISTEN/NOTIFY); SQLite is one process by design.
describe('realtime across nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  let urlB: string;
  before(async () => {
    t = await startTestApp('postgres');
    await t.createCollection({
      name: 'items',
      listRule: '',
      viewRule: '',
      fields: [{ name: 'title', type: 'text' }],
    });
    nodeB = await createApp(t.config, { logger: silentLogger() });
    urlB = await nodeB.start();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
  });

  const createOnA = async (title: string) => {
    const res = await t.request('POST', '/api/collections/items/records', {
      token: 'superuser',
      body: { title },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  test('a write on node A reaches a subscriber on node B', async () => {
    const ws = await WsClient.open(urlB);
    await ws.request({ type: 'subscribe', topic: 'items' });
    const created = await createOnA('from A');
    const ev = await ws.events.next();
    assert.deepEqual([ev.action, ev.record.id, ev.record.title], ['create', created.id, 'from A']);
    ws.close();
  });

  test('NOTIFY carries only the seq', async () => {
    const listener = new pg.Client({ connectionString: TEST_PG_URL });
    await listener.connect();
    try {
      const channel = `forgebase_changes_${new URL(t.config.db!).searchParams.get('schema')}`;
      const payload = new Promise<string>((resolve) =>
        listener.on('notification', (m) => resolve(m.payload ?? '')),
      );
      await listener.query(`LISTEN "${channel}"`);
      await createOnA('notified');
      assert.match(await payload, /^\d+$/);
    } finally {
      await listener.end();
    }
  });

  test('a change whose transaction commits after a later one still arrives', async () => {
    const ws = await WsClient.open(urlB);
    await ws.request({ type: 'subscribe', topic: 'items' });
    const items = t.app.collections.get('items');
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const hasSeq = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    // a slow writer takes its seq first and commits last
    const slow = t.app.db.transaction(async (tx) => {
      await tx.run(
        t.app.db.qb.insertInto('_changes').values({
          collection_id: items.id,
          record_id: 'slowwriter00001',
          action: 'create',
          record: JSON.stringify({
            collectionId: items.id,
            collectionName: 'items',
            id: 'slowwriter00001',
            title: 'slow',
          }),
          created: '2026-01-01 00:00:00.000Z',
        }),
      );
      inserted();
      await released;
    });
    await hasSeq;
    await createOnA('fast');
    assert.equal((await ws.events.next()).record.title, 'fast');
    release();
    await slow;
    // the next wake-up reads the seq that was missing
    await createOnA('later');
    const titles = [(await ws.events.next()).record.title, (await ws.events.next()).record.title];
    assert.deepEqual(titles, ['slow', 'later']);
    ws.close();
  });

  test('node B catches up after its LISTEN connection drops', async () => {
    const ws = await WsClient.open(urlB);
    await ws.request({ type: 'subscribe', topic: 'items' });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const channel = `forgebase_changes_${new URL(t.config.db!).searchParams.get('schema')}`;
      // both nodes listen on the channel; drop every such connection
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()',
        [`LISTEN "${channel}"`],
      );
      assert.equal(killed.rowCount, 2);
    } finally {
      await admin.end();
    }
    await createOnA('during the outage');
    await createOnA('after');
    assert.equal((await ws.events.next(10_000)).record.title, 'during the outage');
    assert.equal((await ws.events.next()).record.title, 'after');
    ws.close();
  });
});
