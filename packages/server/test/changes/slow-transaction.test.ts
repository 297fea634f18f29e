import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { collect, seqs, titles } from '../support/changes.ts';

/** How long the slow transaction stays open (a real wait: the point is that nothing times out). */
const OPEN_MS = 60_000;

// PostgreSQL takes seqs at insert and shows them at commit: a transaction that stays open
// must hold durable consumers back (strict seq order), never be skipped. SQLite has one
// writer, so a write that stays open blocks every other write instead.
describe('a transaction open for 60 s (postgres)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('postgres');
    await t.createCollection({ name: 'items', fields: [{ name: 'title', type: 'text' }] });
  });
  after(() => t.close());

  test('is delivered, in seq order, to every durable consumer, with nothing skipped', {
    timeout: 3 * OPEN_MS,
  }, async () => {
    const { changes } = t.app;
    const first = await collect(changes, 'first', { durable: true });
    const second = await collect(changes, 'second', { durable: true, batchSize: 2 });
    const live = await collect(changes, 'live');
    const start = await changes.lastSeq();
    let inserted!: () => void;
    const hasSeq = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const slow = t.app.records.inTransaction(async (r) => {
      await r.asSystem().create('items', { title: 'slow' });
      inserted();
      await new Promise((resolve) => setTimeout(resolve, OPEN_MS));
    });
    await hasSeq;
    const fast = ['fast 1', 'fast 2', 'fast 3', 'fast 4', 'fast 5'];
    for (const title of fast) await t.app.records.asSystem().create('items', { title });
    // a non-durable consumer is not held back by the slow writer
    await live.until((rows) => rows.length === fast.length);
    assert.deepEqual(titles(live.rows), fast);
    // the durable ones wait for it (the slow row has the smallest seq)
    assert.deepEqual([first.rows.length, second.rows.length], [0, 0]);

    await slow;
    const all = ['slow', ...fast];
    await first.until((rows) => rows.length === all.length);
    await second.until((rows) => rows.length === all.length);
    const { db } = t.app;
    const logged = (
      await db.all(db.sys.selectFrom('_changes').select('seq').where('seq', '>', start).orderBy('seq'))
    ).map((r) => Number(r.seq));
    for (const c of [first, second]) {
      assert.deepEqual(titles(c.rows), all);
      assert.deepEqual(seqs(c.rows), logged);
    }
    // the non-durable one gets the slow row when its transaction commits, after the later ones
    await live.until((rows) => rows.length === all.length);
    assert.deepEqual(titles(live.rows), [...fast, 'slow']);
    await Promise.all([first.stop(), second.stop(), live.stop()]);
  });
});
