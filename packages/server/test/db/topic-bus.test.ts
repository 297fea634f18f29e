import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { SYSTEM_MIGRATIONS } from '../../src/system-migrations.ts';
import { DIALECTS } from '../support/app.ts';
import { schemaUrl } from '../support/pg.ts';
import { Inbox } from '../support/realtime.ts';
import { testStorage } from '../support/storage.ts';

// db.bus.notify / db.bus.listen: named topics between the nodes of one app (PostgreSQL NOTIFY on a
// channel of the app's schema). SQLite is one process: both are no-ops that still work.
for (const dialect of DIALECTS) {
  describe(`topic bus (${dialect})`, () => {
    const storage = testStorage(dialect, 'fb-bus-');
    const open = () =>
      openDatabase({
        dataDir: join(storage.dir, 'data'),
        systemMigrations: SYSTEM_MIGRATIONS,
        ...(dialect === 'postgres' ? { db: schemaUrl(storage.schema) } : {}),
      });
    let nodeA: Database;
    let nodeB: Database;
    before(async () => {
      nodeA = await open();
      nodeB = await open();
    });
    after(async () => {
      await nodeA.close();
      await nodeB.close();
      await storage.remove();
    });

    test('a listener hears the payloads of its topic only, in order', async () => {
      const heard = new Inbox<string | undefined>();
      const stop = await nodeB.bus.listen('schema', (payload) => heard.push(payload));
      try {
        await nodeA.bus.notify('other', 'not for schema');
        await nodeA.bus.notify('schema', 'first');
        await nodeA.bus.notify('schema', 'second');
        if (dialect === 'sqlite') {
          // one process: whoever changed something told its services itself
          assert.deepEqual(heard.items, []);
          return;
        }
        assert.deepEqual([await heard.next(), await heard.next()], ['first', 'second']);
      } finally {
        await stop();
      }
    });
  });
}
