import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { createCronLeases } from '../../src/crons/cron-leases.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { superuserClient } from '../support/backups.ts';
import { createManualClock } from '../support/clock.ts';

for (const dialect of DIALECTS) {
  describe(`scheduled backups (${dialect})`, () => {
    const clock = createManualClock(Date.UTC(2026, 5, 1, 0, 30, 0));
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect, { backupsCron: '0 * * * *', backupsCronMaxKeep: 2 }, { clock });
      pb = await superuserClient(t);
    });
    after(() => t.close());

    test('backups.cron makes a backup each time it comes due, keeping cronMaxKeep of them', async () => {
      await pb.backups.create('manual.zip');
      await clock.advance(31 * 60_000);
      assert.deepEqual((await pb.backups.getFullList()).map((b) => b.key).sort(), [
        'fb_auto_backup_20260601010000.zip',
        'manual.zip',
      ]);
      await clock.advance(2 * 3600_000);
      // the oldest automatic backup went; a manual one is never removed
      assert.deepEqual((await pb.backups.getFullList()).map((b) => b.key).sort(), [
        'fb_auto_backup_20260601020000.zip',
        'fb_auto_backup_20260601030000.zip',
        'manual.zip',
      ]);
    });

    test('changing backupsCron re-registers the job; clearing it removes the job', async () => {
      t.app.config.backupsCron = '30 4 * * *';
      await clock.advance(1000);
      assert.equal(t.app.crons.list().find((j) => j.id === '__fbAutoBackup__')?.expression, '30 4 * * *');
      t.app.config.backupsCron = '';
      await clock.advance(1000);
      assert.equal(
        t.app.crons.list().some((j) => j.id === '__fbAutoBackup__'),
        false,
      );
    });

    test('one claim per job and tick, whichever node asks first', async () => {
      const nodeA = createCronLeases(t.app.db);
      const nodeB = createCronLeases(t.app.db);
      const at = Date.UTC(2026, 5, 2, 0, 0, 0);
      const claims = await Promise.all([nodeA('__job__', at), nodeB('__job__', at)]);
      assert.deepEqual(claims.sort(), [false, true]);
      assert.equal(await nodeB('__job__', at), false);
      assert.equal(await nodeB('__job__', at + 60_000), true);
      assert.equal(await nodeA('__other__', at), true);
    });
  });
}
