import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { collect, titles } from '../support/changes.ts';
import { createManualClock, type ManualClock } from '../support/clock.ts';

const HOUR = 3_600_000;

for (const dialect of DIALECTS) {
  describe(`change log pruning (${dialect})`, () => {
    let t: TestApp;
    let clock: ManualClock;
    before(async () => {
      clock = createManualClock();
      t = await startTestApp(dialect, { changesRetentionHours: 1 }, { clock });
      await t.createCollection({ name: 'notes', fields: [{ name: 'title', type: 'text' }] });
    });
    after(() => t.close());

    const kept = async () => {
      const { db } = t.app;
      const rows = await db.all(db.sys.selectFrom('_changes').select(['seq', 'record']).orderBy('seq'));
      return rows.map((r) => String(JSON.parse(r.record ?? '{}').title));
    };

    test('keeps what a durable consumer has not read, while realtime replays only the retention', async () => {
      const audit = await collect(t.app.changes, 'audit', { durable: true });
      for (const title of ['read 1', 'read 2']) await t.app.records.asSystem().create('notes', { title });
      await audit.until((rows) => rows.length === 2);
      await audit.stop();
      for (const title of ['unread 1', 'unread 2']) await t.app.records.asSystem().create('notes', { title });

      // every row is now past the retention; pruning runs every 10 minutes
      await clock.advance(2 * HOUR);
      assert.deepEqual(await kept(), ['unread 1', 'unread 2']);
      // rows kept past the retention for the consumer are not replayed to realtime clients
      assert.equal(await t.app.changes.firstReplayable(), (await t.app.changes.lastSeq()) + 1);

      // the consumer comes back and reads what was kept for it
      const back = await collect(t.app.changes, 'audit', { durable: true });
      await back.until((rows) => rows.length === 2);
      assert.deepEqual(titles(back.rows), ['unread 1', 'unread 2']);
      await back.stop();
      await clock.advance(11 * 60_000);
      assert.deepEqual(await kept(), []);
      await t.app.changes.forget('audit');
    });

    test('a forgotten consumer holds nothing back; fresh rows stay for the retention', async () => {
      const gone = await collect(t.app.changes, 'gone', { durable: true });
      await gone.stop();
      await t.app.records.asSystem().create('notes', { title: 'never read' });
      await clock.advance(2 * HOUR);
      assert.deepEqual(await kept(), ['never read']);
      await t.app.changes.forget('gone');
      await t.app.records.asSystem().create('notes', { title: 'fresh' });
      await clock.advance(11 * 60_000);
      assert.deepEqual(await kept(), ['fresh']);
      assert.equal(await t.app.changes.firstReplayable(), await t.app.changes.lastSeq());
    });
  });
}
