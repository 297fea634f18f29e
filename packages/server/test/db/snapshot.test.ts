import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';

for (const dialect of DIALECTS) {
  describe(`db.snapshot (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let tmp = '';
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
      tmp = mkdtempSync(join(tmpdir(), 'fb-snapshot-'));
      await db.exec('CREATE TABLE big (a TEXT)');
      const rows = Array.from({ length: 2000 }, () => ({ a: 'x'.repeat(1000) }));
      await db.run(db.qb.insertInto('big').values(rows));
    });
    after(async () => {
      await close();
      rmSync(tmp, { recursive: true, force: true });
    });

    test('a dump whose reader gives up half-way fails at once and leaves the database usable', async () => {
      const dump = db.snapshot.dump(async (_name, body: Readable) => {
        await new Promise<void>((_resolve, reject) => {
          body.once('data', () => body.destroy(new Error('the reader gave up')));
          body.once('error', reject);
        });
      }, tmp);
      await assert.rejects(dump, /the reader gave up/);
      const [row] = await db.all<{ n: number }>({ sql: 'SELECT count(*) AS n FROM big', parameters: [] });
      assert.equal(Number(row?.n), 2000);
      await db.run(db.qb.insertInto('big').values({ a: 'after' }));
    });
  });
}
