import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommittedChange } from '../../src/records/hooks.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { Inbox } from '../support/realtime.ts';

for (const dialect of DIALECTS) {
  describe(`afterCommit hooks (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'posts', fields: [{ name: 'title', type: 'text' }] });
    });
    after(() => t.close());

    test('hear each committed change from the change log, with its seq and transaction id', async () => {
      const heard = new Inbox<CommittedChange>();
      const off = t.app.records.hooks.afterCommit('posts', (c) => heard.push(c));
      try {
        const made = await t.app.records.asSystem().create('posts', { title: 'logged' });
        const change = await heard.next();
        assert.deepEqual(
          [change.action, change.record.id, change.record.title],
          ['create', made.id, 'logged'],
        );
        assert.equal(change.seq, await t.app.changes.lastSeq());
        assert.ok(change.txId > 0);
      } finally {
        off();
      }
    });

    test('a throwing hook keeps no change from the other hooks', async () => {
      const heard = new Inbox<string>();
      const offs = [
        t.app.records.hooks.afterCommit('posts', () => {
          throw new Error('broken hook');
        }),
        t.app.records.hooks.afterCommit('posts', (c) => heard.push(String(c.record.title))),
      ];
      try {
        await t.app.records.inTransaction(async (r) => {
          await r.asSystem().create('posts', { title: 'first' });
          await r.asSystem().create('posts', { title: 'second' });
        });
        assert.deepEqual([await heard.next(), await heard.next()], ['first', 'second']);
      } finally {
        for (const off of offs) off();
      }
    });
  });
}
