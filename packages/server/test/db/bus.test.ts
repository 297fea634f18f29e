import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CHANGES_CHANNEL, type Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { SYSTEM_MIGRATIONS } from '../../src/system-migrations.ts';
import { DIALECTS } from '../support/app.ts';
import { openTestDatabase } from '../support/db.ts';
import { schemaUrl } from '../support/pg.ts';
import { testStorage } from '../support/storage.ts';

/** Resolves with the first payload `listen` delivers, or rejects after `ms`. */
function firstMessage(): { got: Promise<string>; onMessage: (payload: string) => void } {
  let resolve!: (payload: string) => void;
  const got = new Promise<string>((res, rej) => {
    resolve = res;
    setTimeout(() => rej(new Error('no message within 5 s')), 5000).unref();
  });
  return { got, onMessage: (payload) => resolve(payload) };
}

for (const dialect of DIALECTS) {
  describe(`Database bus (${dialect})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDatabase(dialect));
    });
    after(() => close());

    test('listen returns a stop function and notify resolves', async () => {
      const stop = await db.bus.listen('schema', () => undefined);
      await db.bus.notify('schema', 'x');
      await stop();
    });

    test('lockKey holds inside a transaction', async () => {
      const done = await db.transaction(async (tx) => {
        await db.bus.lockKey(tx, 'k');
        return 'done';
      });
      assert.equal(done, 'done');
    });
  });
}

describe('Database bus between nodes (postgres)', () => {
  const storage = testStorage('postgres', 'fb-bus-');
  const other = testStorage('postgres', 'fb-bus-other-');
  let a: Database;
  let b: Database;
  let elsewhere: Database;
  before(async () => {
    a = await openDatabase({
      systemMigrations: SYSTEM_MIGRATIONS,
      dataDir: storage.dir,
      db: schemaUrl(storage.schema),
    });
    b = await openDatabase({
      systemMigrations: SYSTEM_MIGRATIONS,
      dataDir: storage.dir,
      db: schemaUrl(storage.schema),
    });
    elsewhere = await openDatabase({
      systemMigrations: SYSTEM_MIGRATIONS,
      dataDir: other.dir,
      db: schemaUrl(other.schema),
    });
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), elsewhere.close()]);
    await Promise.all([storage.remove(), other.remove()]);
  });

  test('a payload sent on a channel reaches another node of the same app', async () => {
    const m = firstMessage();
    const stop = await b.bus.listen('schema', m.onMessage);
    try {
      await a.bus.notify('schema', '{"collection":"posts"}');
      assert.equal(await m.got, '{"collection":"posts"}');
    } finally {
      await stop();
    }
  });

  test('a listener hears only its own channel', async () => {
    const m = firstMessage();
    const stop = await b.bus.listen('changes', m.onMessage);
    try {
      // sent in this order from one session, so a listener on both would get 'schema' first
      await a.bus.notify('schema', 'not for changes');
      await a.bus.notify('changes', '42');
      assert.equal(await m.got, '42');
    } finally {
      await stop();
    }
  });

  test('an app in another schema does not hear this one', async () => {
    const m = firstMessage();
    const stop = await elsewhere.bus.listen('schema', m.onMessage);
    try {
      await a.bus.notify('schema', 'from the other app');
      await elsewhere.bus.notify('schema', 'own');
      assert.equal(await m.got, 'own');
    } finally {
      await stop();
    }
  });

  test("the change log's channel is the one older nodes listen on", async () => {
    const m = firstMessage();
    const stop = await b.bus.listen('changes', m.onMessage);
    try {
      await a.bus.notify(CHANGES_CHANNEL, '7');
      assert.equal(await m.got, '7');
    } finally {
      await stop();
    }
  });
});
