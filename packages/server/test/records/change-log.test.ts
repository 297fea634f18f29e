import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

interface ChangeRow {
  seq: number;
  record_id: string;
  action: string;
  record: string;
  created: string;
}

for (const dialect of DIALECTS) {
  describe(`change log (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'logged', fields: [{ name: 'title', type: 'text', required: true }] });
    });
    after(() => t.close());

    const changes = async (collectionId: string) => {
      const { db } = t.app;
      const rows = await db.all<ChangeRow>(
        db.qb.selectFrom('_changes').selectAll().where('collection_id', '=', collectionId).orderBy('seq'),
      );
      return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    };

    test('each committed write appends one entry, in order, with the record', async () => {
      const c = t.app.collections.get('logged');
      const created = await t.request('POST', '/api/collections/logged/records', {
        token: 'superuser',
        body: { title: 'a' },
      });
      const id = created.body.id;
      await t.request('PATCH', `/api/collections/logged/records/${id}`, {
        token: 'superuser',
        body: { title: 'b' },
      });
      await t.request('DELETE', `/api/collections/logged/records/${id}`, { token: 'superuser' });
      const rows = await changes(c.id);
      assert.deepEqual(
        rows.map((r) => [r.record_id, r.action, JSON.parse(r.record).title]),
        [
          [id, 'create', 'a'],
          [id, 'update', 'b'],
          [id, 'delete', 'b'],
        ],
      );
      assert.ok(rows[0]!.seq < rows[1]!.seq && rows[1]!.seq < rows[2]!.seq);
    });

    test('of two racing deletes of one record one succeeds, the other is a 404, and one entry is logged', async () => {
      const c = t.app.collections.get('logged');
      const ids: string[] = [];
      for (let i = 0; i < 10; i++)
        ids.push(String((await t.app.records.asSystem().create('logged', { title: `race${i}` })).id));
      const del = (id: string) =>
        t.request('DELETE', `/api/collections/logged/records/${id}`, { token: 'superuser' });
      const answers = await Promise.all(ids.flatMap((id) => [del(id), del(id)]));
      for (let i = 0; i < ids.length; i++)
        assert.deepEqual(
          [answers[2 * i]!.status, answers[2 * i + 1]!.status].sort(),
          [204, 404],
          `record ${ids[i]}`,
        );
      const deletes = (await changes(c.id)).filter((r) => r.action === 'delete' && ids.includes(r.record_id));
      assert.equal(deletes.length, ids.length);
    });

    test('a failed write leaves no entry', async () => {
      const c = t.app.collections.get('logged');
      const before = (await changes(c.id)).length;
      const res = await t.request('POST', '/api/collections/logged/records', {
        token: 'superuser',
        body: {},
      });
      assert.equal(res.status, 400);
      assert.equal((await changes(c.id)).length, before);
    });

    test('listeners hear a change only after it committed', async () => {
      const heard: string[] = [];
      const off = t.app.records.onChange((ch) => heard.push(`${ch.action}:${String(ch.record.title)}`));
      try {
        await t.app.records.create('logged', { title: 'heard' }, { superuser: true });
        await assert.rejects(t.app.records.create('logged', {}, { superuser: true }));
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(heard, ['create:heard']);
      } finally {
        off();
      }
    });

    test('pruning removes entries older than the cutoff only', async () => {
      const c = t.app.collections.get('logged');
      const all = await changes(c.id);
      assert.ok(all.length > 0);
      assert.equal(await t.app.changes.prune('2000-01-01 00:00:00.000Z'), 0);
      const removed = await t.app.changes.prune('9999-01-01 00:00:00.000Z');
      assert.ok(removed >= all.length);
      assert.deepEqual(await changes(c.id), []);
    });
  });
}
