import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lt } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { databaseKit, libsqlFailure } from '../support/databases.ts';

// the official @libsql/client against the Hrana-over-HTTP endpoints, unchanged
for (const dialect of DIALECTS) {
  describe(`databases with @libsql/client (${dialect})`, () => {
    let t: TestApp;
    const { client, createDb, close } = databaseKit(() => t);
    const token = async (db: string, body: Record<string, unknown> = {}) => {
      const res = await t.request('POST', `/api/databases/${db}/tokens`, { token: 'superuser', body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { id: string; token: string; readOnly: boolean };
    };

    before(async () => {
      t = await startTestApp(dialect);
      await createDb('shop');
      await client('shop').execute(
        'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL, data BLOB, note TEXT)',
      );
    });
    after(async () => {
      close();
      await t.close();
    });

    test('execute with positional and named args round-trips every value type', async () => {
      const c = client('shop');
      const ins = await c.execute({
        sql: 'INSERT INTO items (name, price, data, note) VALUES (?, ?, ?, ?)',
        args: ['apple', 1.25, new Uint8Array([0, 1, 255]), null],
      });
      assert.equal(ins.rowsAffected, 1);
      assert.equal(typeof ins.lastInsertRowid, 'bigint');
      const id = ins.lastInsertRowid!;
      const named = await c.execute({
        sql: 'SELECT id, name, price, data, note, typeof(id) AS t FROM items WHERE name = :name',
        args: { name: 'apple' },
      });
      assert.deepEqual(named.columns, ['id', 'name', 'price', 'data', 'note', 't']);
      assert.deepEqual(named.columnTypes, ['INTEGER', 'TEXT', 'REAL', 'BLOB', 'TEXT', '']);
      const row = named.rows[0]!;
      assert.equal(row.id, Number(id));
      assert.equal(row.name, 'apple');
      assert.equal(row.price, 1.25);
      assert.deepEqual([...new Uint8Array(row.data as ArrayBuffer)], [0, 1, 255]);
      assert.equal(row.note, null);
      assert.equal(row.t, 'integer');
      const exact = client('shop', t.superuserToken, 'bigint');
      const big = await exact.execute({
        sql: 'SELECT ?1 + 0 AS n, :f AS f',
        args: { 1: 9007199254740993n, f: 2.5 },
      });
      assert.equal(big.rows[0]!.n, 9007199254740993n);
      assert.equal(big.rows[0]!.f, 2.5);
      const upd = await c.execute({
        sql: 'UPDATE items SET note = $n WHERE id = $id',
        args: { n: 'ripe', id },
      });
      assert.equal(upd.rowsAffected, 1);
      // DDL changes no rows (SQLite's changes() would still say 1 from the UPDATE)
      const ddl = await c.execute('CREATE TABLE ddl_probe (a)');
      assert.equal(ddl.rowsAffected, 0);
      assert.equal(ddl.lastInsertRowid, undefined);
      const read = await c.execute('SELECT count(*) AS n FROM items');
      assert.equal(read.rowsAffected, 0);
      assert.equal(read.lastInsertRowid, undefined);
    });

    test('a constraint violation is a LibsqlError with the SQLite code', async () => {
      const c = client('shop');
      await c.execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: ['pear'] });
      const unique = await libsqlFailure(() =>
        c.execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: ['pear'] }),
      );
      assert.equal(unique.code, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.match(unique.message, /UNIQUE constraint failed: items\.name/);
      const notNull = await libsqlFailure(() => c.execute('INSERT INTO items (price) VALUES (1)'));
      assert.equal(notNull.code, 'SQLITE_CONSTRAINT_NOTNULL');
      const syntax = await libsqlFailure(() => c.execute('SELEC 1'));
      assert.equal(syntax.code, 'SQLITE_ERROR');
    });

    test('a batch is atomic: a failing statement rolls back the whole batch', async () => {
      const c = client('shop');
      const ok = await c.batch(
        [
          { sql: 'INSERT INTO items (name) VALUES (?)', args: ['b1'] },
          { sql: 'INSERT INTO items (name) VALUES (?)', args: ['b2'] },
          "SELECT name FROM items WHERE name LIKE 'b%' ORDER BY name",
        ],
        'write',
      );
      assert.deepEqual(
        ok.map((r) => r.rowsAffected),
        [1, 1, 0],
      );
      assert.deepEqual(
        ok[2]!.rows.map((r) => r.name),
        ['b1', 'b2'],
      );
      const err = await libsqlFailure(() =>
        c.batch(
          [
            { sql: 'INSERT INTO items (name) VALUES (?)', args: ['b3'] },
            { sql: 'INSERT INTO items (name) VALUES (?)', args: ['b1'] },
          ],
          'write',
        ),
      );
      assert.equal(err.code, 'SQLITE_CONSTRAINT_UNIQUE');
      const left = await c.execute("SELECT name FROM items WHERE name LIKE 'b%' ORDER BY name");
      assert.deepEqual(
        left.rows.map((r) => r.name),
        ['b1', 'b2'],
      );
    });

    test('interactive transactions commit, roll back and read their own writes', async () => {
      const c = client('shop');
      const other = client('shop');
      const tx = await c.transaction('write');
      await tx.execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: ['t1'] });
      const own = await tx.execute("SELECT count(*) AS n FROM items WHERE name = 't1'");
      assert.equal(own.rows[0]!.n, 1);
      await tx.commit();
      const seen = await other.execute("SELECT count(*) AS n FROM items WHERE name = 't1'");
      assert.equal(seen.rows[0]!.n, 1);

      const tx2 = await c.transaction('write');
      await tx2.execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: ['t2'] });
      assert.equal((await tx2.execute("SELECT count(*) AS n FROM items WHERE name = 't2'")).rows[0]!.n, 1);
      await tx2.rollback();
      assert.equal((await other.execute("SELECT count(*) AS n FROM items WHERE name = 't2'")).rows[0]!.n, 0);

      // a read transaction (libSQL's BEGIN TRANSACTION READONLY) reads
      const rtx = await c.transaction('read');
      assert.equal((await rtx.execute("SELECT count(*) AS n FROM items WHERE name = 't1'")).rows[0]!.n, 1);
      await rtx.commit();
    });

    test('executeMultiple runs every statement of a script', async () => {
      const c = client('shop');
      await c.executeMultiple(`
        CREATE TABLE tags (name TEXT);
        INSERT INTO tags VALUES ('a');
        INSERT INTO tags VALUES ('b'); -- and a comment
      `);
      const r = await c.execute('SELECT name FROM tags ORDER BY name');
      assert.deepEqual(
        r.rows.map((x) => x.name),
        ['a', 'b'],
      );
    });

    test('a read-only token reads and refuses every write', async () => {
      const { token: ro } = await token('shop', { readOnly: true });
      const c = client('shop', ro);
      assert.equal((await c.execute("SELECT count(*) AS n FROM items WHERE name = 'apple'")).rows[0]!.n, 1);
      for (const sql of [
        "INSERT INTO items (name) VALUES ('ro')",
        "UPDATE items SET note = 'x'",
        'DELETE FROM items',
        'CREATE TABLE ro (a)',
        'DROP TABLE tags',
      ]) {
        const e = await libsqlFailure(() => c.execute(sql));
        assert.equal(e.code, 'SQLITE_READONLY', sql);
      }
      const multi = await libsqlFailure(() => c.executeMultiple("SELECT 1; INSERT INTO tags VALUES ('ro')"));
      assert.equal(multi.code, 'SQLITE_READONLY');
      const batch = await libsqlFailure(() => c.batch(["INSERT INTO tags VALUES ('ro')"], 'write'));
      assert.equal(batch.code, 'SQLITE_READONLY');
      assert.equal(
        (await client('shop').execute("SELECT count(*) AS n FROM tags WHERE name = 'ro'")).rows[0]!.n,
        0,
      );
      // a read-write token of the same database writes
      const { token: rw } = await token('shop');
      await client('shop', rw).execute("INSERT INTO tags VALUES ('rw')");
    });

    test('a token opens only its database; bad, revoked and missing tokens are 401', async () => {
      await createDb('other');
      const { token: shopToken, id } = await token('shop');
      const e = await libsqlFailure(() => client('other', shopToken).execute('SELECT 1'));
      assert.equal(e.code, 'UNAUTHORIZED');
      const raw = async (db: string, auth?: string) => {
        const res = await fetch(`${t.url}/api/databases/${db}/v2/pipeline`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          },
          body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] }),
        });
        return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
      };
      const unauthorized = {
        status: 401,
        type: 'application/json',
        body: {
          message: 'The token is missing, invalid, expired or not for this database.',
          code: 'UNAUTHORIZED',
        },
      };
      assert.deepEqual(await raw('other', shopToken), unauthorized);
      assert.deepEqual(await raw('shop', 'fbdb_forged'), unauthorized);
      assert.deepEqual(await raw('shop', 'not-a-token'), unauthorized);
      assert.deepEqual(await raw('shop'), unauthorized);
      assert.equal((await raw('shop', shopToken)).status, 200);
      const revoke = await t.request('DELETE', `/api/databases/shop/tokens/${id}`, { token: 'superuser' });
      assert.equal(revoke.status, 204);
      assert.deepEqual(await raw('shop', shopToken), unauthorized);
      const { token: expiring } = await token('shop', { expiresIn: 3600 });
      assert.equal((await raw('shop', expiring)).status, 200);
    });

    test('ATTACH, VACUUM INTO, load_extension and file-system PRAGMAs are refused', async () => {
      const c = client('shop');
      for (const sql of [
        `ATTACH DATABASE '${t.dir}/fb_data/data.db' AS app`,
        `VACUUM INTO '${t.dir}/copy.db'`,
        "SELECT load_extension('/lib/x.so')",
        'PRAGMA journal_mode = DELETE',
        'PRAGMA max_page_count = 999999999',
        'PRAGMA writable_schema = ON',
      ]) {
        const e = await libsqlFailure(() => c.execute(sql));
        assert.equal(e.code, 'SQLITE_AUTH', sql);
      }
      const multi = await libsqlFailure(() => c.executeMultiple(`SELECT 1; ATTACH '${t.dir}/x.db' AS x`));
      assert.equal(multi.code, 'SQLITE_AUTH');
      // introspection PRAGMAs stay available (ORMs use them)
      const info = await c.execute("PRAGMA table_info('tags')");
      assert.deepEqual(
        info.rows.map((r) => r.name),
        ['name'],
      );
    });

    test('8 concurrent clients × 50 inserts land exactly once', async () => {
      await createDb('load');
      await client('load').execute('CREATE TABLE hits (client INTEGER, n INTEGER, UNIQUE (client, n))');
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const c = client('load');
          for (let n = 0; n < 50; n++)
            await c.execute({ sql: 'INSERT INTO hits VALUES (?, ?)', args: [i, n] });
        }),
      );
      const r = await client('load').execute(
        'SELECT count(*) AS n, count(DISTINCT client * 1000 + n) AS d FROM hits',
      );
      assert.deepEqual({ ...r.rows[0] }, { n: 400, d: 400 });
    });

    test('Drizzle over @libsql/client (the docs example) inserts and selects', async () => {
      await createDb('drizzle');
      const fruit = sqliteTable('fruit', {
        id: integer('id').primaryKey(),
        name: text('name').notNull().unique(),
        price: real('price'),
      });
      const c = client('drizzle');
      await c.execute('CREATE TABLE fruit (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL)');
      const db = drizzle(c);
      await db.insert(fruit).values([
        { name: 'pear', price: 2 },
        { name: 'melon', price: 4.5 },
      ]);
      assert.deepEqual(await db.select().from(fruit).where(lt(fruit.price, 3)), [
        { id: 1, name: 'pear', price: 2 },
      ]);
      const [made] = await db.insert(fruit).values({ name: 'fig', price: 1 }).returning();
      assert.deepEqual(made, { id: 3, name: 'fig', price: 1 });
      await db.transaction(async (tx) => {
        await tx.update(fruit).set({ price: 5 }).where(lt(fruit.price, 2));
      });
      assert.deepEqual(
        (await db.select({ name: fruit.name, price: fruit.price }).from(fruit)).map(
          (r) => `${r.name}:${r.price}`,
        ),
        ['pear:2', 'melon:4.5', 'fig:5'],
      );
    });

    test('a deleted database refuses its clients', async () => {
      await createDb('gone');
      const c = client('gone');
      await c.execute('CREATE TABLE x (a)');
      const tx = await c.transaction('write');
      await tx.execute('INSERT INTO x VALUES (1)');
      const del = await t.request('DELETE', '/api/databases/gone', { token: 'superuser' });
      assert.equal(del.status, 204);
      const e = await libsqlFailure(() => c.execute('SELECT * FROM x'));
      assert.equal(e.code, 'DATABASE_NOT_FOUND');
      const inTx = await libsqlFailure(() => tx.execute('SELECT * FROM x'));
      assert.equal(inTx.code, 'DATABASE_NOT_FOUND');
      const list = await t.request('GET', '/api/databases', { token: 'superuser' });
      assert.ok(!list.body.some((d: { name: string }) => d.name === 'gone'));
      // the name is free again, and the new database starts empty
      await createDb('gone');
      const fresh = await libsqlFailure(() => client('gone').execute('SELECT * FROM x'));
      assert.equal(fresh.code, 'SQLITE_ERROR');
    });
  });
}
