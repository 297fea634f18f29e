import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { SqliteDatabase } from '../../src/db/sqlite/database.ts';

// SQLite-only: the read-result cache is a property of the SQLite implementation.
describe('SQLite read cache', () => {
  let dir: string;
  let db: SqliteDatabase;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fb-cache-'));
    db = new SqliteDatabase({ path: join(dir, 'data.db') });
    await db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
    await db.run({ sql: 'INSERT INTO kv VALUES (?, ?)', parameters: ['a', 'one'] });
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async () =>
    (await db.first<{ v: string }>({ sql: 'SELECT v FROM kv WHERE k = ?', parameters: ['a'] }))?.v;

  test('a write through the database is seen by the next read', async () => {
    assert.equal(await read(), 'one');
    await db.run({ sql: 'UPDATE kv SET v = ? WHERE k = ?', parameters: ['two', 'a'] });
    assert.equal(await read(), 'two');
  });

  test('a write by another connection (another process) is seen too', async () => {
    assert.equal(await read(), 'two');
    const other = new DatabaseSync(join(dir, 'data.db'));
    other.prepare('UPDATE kv SET v = ? WHERE k = ?').run('three', 'a');
    other.close();
    // the cache checks PRAGMA data_version at most once a millisecond: another process's
    // commit shows within that window (poll the reads, bounded; never a stale read after it)
    const until = performance.now() + 1000;
    let seen = await read();
    while (seen !== 'three' && performance.now() < until) seen = await read();
    assert.equal(seen, 'three');
  });

  test('random() queries are never served from the cache', async () => {
    const q = { sql: 'SELECT random() % 1000000000 AS r', parameters: [] };
    const a = (await db.first<{ r: number }>(q))!.r;
    const b = (await db.first<{ r: number }>(q))!.r;
    assert.notEqual(a, b);
  });
});
