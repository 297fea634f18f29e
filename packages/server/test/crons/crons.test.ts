import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { createCronRegistry } from '../../src/crons/cron-registry.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { superuserClient } from '../support/backups.ts';
import { createManualClock } from '../support/clock.ts';

async function status(fn: () => Promise<unknown>): Promise<number> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof ClientResponseError, String(e));
    return e.status;
  }
  return 200;
}

describe('cron registry', () => {
  test('runs a job when its expression comes due, in its time zone, and not while stopped', async () => {
    // 2026-01-01 00:00 UTC is 09:00 in Tokyo
    const clock = createManualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const crons = createCronRegistry({ clock, logger: silentLogger() });
    const runs: string[] = [];
    crons.add('utc', '0 10 * * *', () => void runs.push(`utc ${new Date(clock.now()).toISOString()}`));
    crons.add('tokyo', '0 10 * * *', () => void runs.push(`tokyo ${new Date(clock.now()).toISOString()}`), {
      timezone: 'Asia/Tokyo',
    });
    crons.start();
    await clock.advance(3600_000 + 1000);
    assert.deepEqual(runs, ['tokyo 2026-01-01T01:00:00.000Z']);
    await clock.advance(9 * 3600_000);
    assert.deepEqual(runs, ['tokyo 2026-01-01T01:00:00.000Z', 'utc 2026-01-01T10:00:00.000Z']);
    await crons.stop();
    await clock.advance(24 * 3600_000);
    assert.equal(runs.length, 2);
    assert.deepEqual(crons.list(), [
      { id: 'tokyo', expression: '0 10 * * *' },
      { id: 'utc', expression: '0 10 * * *' },
    ]);
  });

  test('a tick another node claimed is skipped; run() ignores claims; unknown ids are a 404', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const claimed = new Set<string>();
    const claim = async (id: string, at: number) => {
      const key = `${id}@${at}`;
      if (claimed.has(key)) return false;
      claimed.add(key);
      return true;
    };
    let a = 0;
    let b = 0;
    const nodeA = createCronRegistry({ clock, logger: silentLogger(), claim });
    const nodeB = createCronRegistry({ clock, logger: silentLogger(), claim });
    nodeA.add('job', '* * * * *', () => void a++);
    nodeB.add('job', '* * * * *', () => void b++);
    nodeA.start();
    nodeB.start();
    await clock.advance(3 * 60_000);
    assert.equal(a + b, 3);
    await nodeB.run('job');
    assert.equal(a + b, 4);
    await assert.rejects(nodeA.run('nope'), (e: Error & { status?: number }) => e.status === 404);
    assert.throws(() => nodeA.add('bad', 'not a cron', () => undefined));
    await nodeA.stop();
    await nodeB.stop();
  });
});

for (const dialect of DIALECTS) {
  describe(`crons API (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect, { backupsCron: '0 3 * * *' });
      pb = await superuserClient(t);
    });
    after(() => t.close());

    test('lists the maintenance jobs and runs one now; 404 for an unknown id; superusers only', async () => {
      const jobs = await pb.crons.getFullList();
      assert.deepEqual(jobs, [
        { id: '__fbAuditCleanup__', expression: '0 */6 * * *' },
        { id: '__fbAuditSign__', expression: '*/10 * * * *' },
        { id: '__fbAuthCleanup__', expression: '*/10 * * * *' },
        { id: '__fbAutoBackup__', expression: '0 3 * * *' },
        { id: '__fbChangesCleanup__', expression: '*/10 * * * *' },
        { id: '__fbLogsCleanup__', expression: '0 */6 * * *' },
        { id: '__fbTusCleanup__', expression: '0 * * * *' },
        { id: '__fbWebhookDeliveriesCleanup__', expression: '0 * * * *' },
      ]);
      assert.equal(await pb.crons.run('__fbChangesCleanup__'), true);
      assert.equal(await status(() => pb.crons.run('__nope__')), 404);
      const anonymous = new PocketBase(t.url);
      assert.equal(await status(() => anonymous.crons.getFullList()), 401);
    });

    test('the change-log cleanup job prunes old rows when run', async () => {
      const c = await t.createCollection({
        name: 'notes',
        type: 'base',
        fields: [{ name: 'title', type: 'text' }],
      });
      await pb.collection(c.name).create({ title: 'x' });
      assert.ok((await t.app.changes.lastSeq()) > 0);
      // a retention of 0 hours is not allowed; pretend the rows are old instead
      await t.app.db.run(t.app.db.sys.updateTable('_changes').set({ created: '2000-01-01 00:00:00.000Z' }));
      await t.app.crons.run('__fbChangesCleanup__');
      const left = await t.app.db.all(t.app.db.sys.selectFrom('_changes').select('seq'));
      assert.equal(left.length, 0);
    });
  });
}
