import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { collect, seqs, titles } from '../support/changes.ts';

for (const dialect of DIALECTS) {
  describe(`change log consumers (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'notes', fields: [{ name: 'title', type: 'text' }] });
    });
    after(() => t.close());

    const write = (title: string) => t.app.records.asSystem().create('notes', { title });
    const noteRows = <R extends { collectionId: string }>(rows: R[]) =>
      rows.filter((r) => r.collectionId === t.app.collections.get('notes').id);

    test('a durable consumer gets every row in seq order; rows of one transaction share txId', async () => {
      const c = await collect(t.app.changes, 'in-order', { durable: true });
      try {
        await write('one');
        await t.app.records.inTransaction(async (r) => {
          await r.asSystem().create('notes', { title: 'two' });
          await r.asSystem().create('notes', { title: 'three' });
        });
        await c.until((rows) => rows.length === 3);
        assert.deepEqual(titles(c.rows), ['one', 'two', 'three']);
        const [one, two, three] = c.rows;
        assert.ok(one!.seq < two!.seq && two!.seq < three!.seq);
        assert.equal(two!.txId, three!.txId);
        assert.notEqual(one!.txId, two!.txId);
        assert.ok(two!.txId > 0);
        assert.deepEqual([two!.action, two!.collectionId], ['create', t.app.collections.get('notes').id]);
      } finally {
        await c.stop();
        await t.app.changes.forget('in-order');
      }
    });

    test('a restarted durable consumer resumes after its position: nothing missed, nothing repeated', async () => {
      const first = await collect(t.app.changes, 'restarts', { durable: true });
      await write('before stop');
      await first.until((rows) => rows.length === 1);
      await first.stop();
      for (const title of ['while down 1', 'while down 2', 'while down 3']) await write(title);
      const second = await collect(t.app.changes, 'restarts', { durable: true });
      try {
        await write('after restart');
        await second.until((rows) => rows.length === 4);
        assert.deepEqual(titles(second.rows), [
          'while down 1',
          'while down 2',
          'while down 3',
          'after restart',
        ]);
        assert.ok(second.rows[0]!.seq > first.rows[0]!.seq);
        assert.deepEqual(
          seqs(second.rows),
          [...seqs(second.rows)].sort((a, b) => a - b),
        );
      } finally {
        await second.stop();
        await t.app.changes.forget('restarts');
      }
    });

    test('a failing durable handler gets the same rows again after a backoff, without holding up others', async () => {
      let failures = 0;
      const flaky = await collect(t.app.changes, 'flaky', { durable: true, retryMinMs: 10 }, () => {
        if (failures < 2) {
          failures++;
          throw new Error('not yet');
        }
      });
      const steady = await collect(t.app.changes, 'steady', { durable: true });
      try {
        await write('retried');
        await steady.until((rows) => rows.length === 1);
        await flaky.until((rows) => rows.length === 1);
        assert.equal(failures, 2);
        assert.deepEqual(titles(flaky.rows), ['retried']);
        assert.deepEqual(seqs(flaky.rows), seqs(steady.rows));
      } finally {
        await flaky.stop();
        await steady.stop();
        await t.app.changes.forget('flaky');
        await t.app.changes.forget('steady');
      }
    });

    test("from 'start' reads the kept log; 'now' only what comes after; forget drops the cursor", async () => {
      await write('old');
      const fromStart = await collect(t.app.changes, 'from-start', { durable: true, from: 'start' });
      const fromNow = await collect(t.app.changes, 'from-now');
      try {
        await write('new');
        await fromStart.until((rows) => titles(noteRows(rows)).includes('new'));
        await fromNow.until((rows) => rows.length === 1);
        assert.ok(titles(noteRows(fromStart.rows)).includes('old'));
        assert.deepEqual(titles(fromNow.rows), ['new']);
      } finally {
        await fromStart.stop();
        await fromNow.stop();
      }
      await t.app.changes.forget('from-start');
      const { db } = t.app;
      const cursors = await db.all(db.sys.selectFrom('_change_cursors').select('name'));
      assert.deepEqual(
        cursors.map((r) => r.name),
        [],
      );
    });
  });
}
