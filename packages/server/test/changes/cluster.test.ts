import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import type { CommittedChange } from '../../src/records/hooks.ts';
import { silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { collect, titles } from '../support/changes.ts';
import { Inbox } from '../support/realtime.ts';

// Two nodes on one PostgreSQL schema: the log is shared, NOTIFY wakes the other node.
describe('change log across nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  before(async () => {
    t = await startTestApp('postgres');
    await t.createCollection({ name: 'items', fields: [{ name: 'title', type: 'text' }] });
    nodeB = await createApp(t.config, { logger: silentLogger() });
    await nodeB.start();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
  });

  const writeOnA = (title: string) => t.app.records.asSystem().create('items', { title });

  test('a durable consumer on node B gets what node A writes, and resumes after a restart without loss', async () => {
    const first = await collect(nodeB.changes, 'mirror', { durable: true });
    await writeOnA('a 1');
    await first.until((rows) => rows.length === 1);
    await first.stop();
    await writeOnA('a 2');
    await writeOnA('a 3');
    const again = await collect(nodeB.changes, 'mirror', { durable: true });
    await writeOnA('a 4');
    await again.until((rows) => rows.length === 3);
    assert.deepEqual(titles(first.rows), ['a 1']);
    assert.deepEqual(titles(again.rows), ['a 2', 'a 3', 'a 4']);
    await again.stop();
    await nodeB.changes.forget('mirror');
  });

  test('afterCommit hooks on node B hear changes committed on node A', async () => {
    const heard = new Inbox<CommittedChange>();
    const off = nodeB.records.hooks.afterCommit('items', (change) => heard.push(change));
    try {
      // the hook may first hear A's changes this node had not read yet when it registered:
      // read up to a warm-up written after registering
      const warm = await writeOnA('warm-up');
      while ((await heard.next()).record.id !== warm.id) {}
      const made = await writeOnA('from A');
      const change = await heard.next();
      assert.deepEqual([change.action, change.record.id, change.record.title], ['create', made.id, 'from A']);
      assert.equal(change.collection.name, 'items');
    } finally {
      off();
    }
  });
});
