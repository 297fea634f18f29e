import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { backupsIdle, superuserClient } from '../support/backups.ts';

const WRITERS = 32;

for (const dialect of DIALECTS) {
  describe(`backup under write load (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      pb = await superuserClient(t);
      await t.createCollection({
        name: 'load',
        type: 'base',
        createRule: '',
        fields: [
          { name: 'writer', type: 'number' },
          { name: 'n', type: 'number' },
        ],
      });
    });
    after(() => t.close());

    test('a backup taken during 32 concurrent writers restores every write acknowledged before it began', async () => {
      const acked: string[] = [];
      let stop = false;
      const writer = async (w: number) => {
        const client = new PocketBase(t.url);
        client.autoCancellation(false);
        for (let n = 0; !stop; n++) {
          const r = await client.collection('load').create({ writer: w, n });
          acked.push(r.id);
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      const until = Date.now() + 30_000;
      while (acked.length < 200) {
        assert.ok(Date.now() < until, 'the writers made no progress');
        await new Promise((r) => setTimeout(r, 10));
      }
      // every write acknowledged by now must be in the backup
      const mustHave = [...acked];
      await pb.backups.create('under_load.zip');
      const duringBackup = acked.length - mustHave.length;
      stop = true;
      await Promise.all(writers);
      assert.ok(duringBackup > 0, 'writes went on while the backup ran');

      await pb.backups.restore('under_load.zip');
      await backupsIdle(t);
      const ids = new Set(
        (await pb.collection('load').getFullList({ fields: 'id', batch: 1000 })).map((r) => r.id),
      );
      const lost = mustHave.filter((id) => !ids.has(id));
      assert.deepEqual(lost, []);
      assert.ok(ids.size <= acked.length);
      // nothing the backup holds is unknown: every restored row was acknowledged at some point
      const all = new Set(acked);
      assert.ok([...ids].every((id) => all.has(id)));
    });
  });
}
