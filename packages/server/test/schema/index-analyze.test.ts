import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asSystem } from '../../src/rules/viewer.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`planner statistics after an index change (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('adding an index to a table with rows runs ANALYZE on it', async () => {
      const c = await t.app.collections.create({
        name: 'metrics',
        type: 'base',
        fields: [{ name: 'host', type: 'text' }],
      });
      for (let i = 0; i < 30; i++) await t.app.records.create('metrics', { host: `h${i % 3}` }, asSystem());
      const stats = async () => {
        // SQLite makes sqlite_stat1 on its first ANALYZE; PostgreSQL's reltuples is -1 until then
        const q =
          dialect === 'sqlite'
            ? "SELECT (SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1') AS n"
            : "SELECT reltuples AS n FROM pg_class WHERE oid = to_regclass('metrics')";
        return Number((await t.app.db.first<{ n: number }>({ sql: q, parameters: [] }))?.n);
      };
      assert.ok((await stats()) <= 0, 'no statistics before');
      await t.app.collections.update(c.id, { indexes: ['CREATE INDEX idx_metrics_host ON metrics (host)'] });
      assert.ok((await stats()) > 0, 'statistics after the index was added');
      if (dialect === 'sqlite') {
        const rows = await t.app.db.all<{ idx: string }>({
          sql: "SELECT idx FROM sqlite_stat1 WHERE tbl = 'metrics'",
          parameters: [],
        });
        assert.ok(
          rows.some((r) => r.idx === 'idx_metrics_host'),
          JSON.stringify(rows),
        );
      }
    });
  });
}
