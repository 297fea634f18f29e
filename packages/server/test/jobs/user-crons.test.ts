import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { createCronRegistry } from '../../src/crons/cron-registry.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { superuserClient } from '../support/backups.ts';
import { createManualClock } from '../support/clock.ts';
import { functionsDir } from '../support/functions.ts';
import { Inbox } from '../support/realtime.ts';

const TASKS_MODULE = `
import { cron } from '@forgebase/server/functions';

export const hourly = cron('0 * * * *', { timezone: 'Europe/Berlin' }, (ctx) =>
  ctx.asSystem().records('ticks').create({ cron: 'hourly' }));

export const everyMinute = cron('* * * * *', (ctx) => ctx.asSystem().records('ticks').create({ cron: 'minute' }));
`;

const TICKS = { name: 'ticks', fields: [{ name: 'cron', type: 'text' }] };

describe('user crons across a DST change (fake clock)', () => {
  const runsOver = async (expression: string, from: number, days: number) => {
    const clock = createManualClock(from);
    const crons = createCronRegistry({ clock, logger: silentLogger() });
    const runs: string[] = [];
    crons.add('job', expression, () => void runs.push(new Date(clock.now()).toISOString()), {
      timezone: 'Europe/Berlin',
    });
    crons.start();
    await clock.advance(days * 86_400_000);
    await crons.stop();
    return runs;
  };

  test('03:00 Berlin time runs once a day, at 02:00Z in winter and 01:00Z in summer', async () => {
    assert.deepEqual(await runsOver('0 3 * * *', Date.UTC(2026, 2, 27, 12), 3), [
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ]);
    assert.deepEqual(await runsOver('0 3 * * *', Date.UTC(2026, 9, 23, 12), 3), [
      '2026-10-24T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-26T02:00:00.000Z',
    ]);
  });

  test('02:30 runs once on the night it happens twice, and at 03:00 on the night it does not exist', async () => {
    assert.deepEqual(await runsOver('30 2 * * *', Date.UTC(2026, 9, 24, 12), 2), [
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    assert.deepEqual(await runsOver('30 2 * * *', Date.UTC(2026, 2, 28, 12), 2), [
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });
});

for (const dialect of DIALECTS) {
  describe(`user crons (${dialect})`, () => {
    const fns = functionsDir({ 'tasks.ts': TASKS_MODULE });
    after(() => fns.remove());

    test('GET /api/crons lists them with the built-in ones; POST /api/crons/{id} runs one now', async () => {
      const t = await startTestApp(dialect, { functionsDir: fns.dir });
      try {
        await t.createCollection(TICKS);
        const heard = new Inbox<string>();
        t.app.records.hooks.afterCommit('ticks', (c) => heard.push(String(c.record.cron)));
        const pb = await superuserClient(t);
        const list = await pb.crons.getFullList();
        assert.deepEqual(list.slice(0, 2), [
          { id: 'tasks/everyMinute', expression: '* * * * *' },
          { id: 'tasks/hourly', expression: '0 * * * *' },
        ]);
        assert.ok(list.slice(2).every((j) => j.id.startsWith('__fb')));
        assert.equal(await pb.crons.run('tasks/hourly'), true);
        assert.equal(await heard.next(), 'hourly');
      } finally {
        await t.close();
      }
    });

    test('a tick missed while the app was down runs once at the next start, not once per missed tick', async () => {
      const at = (h: number, m: number) => Date.UTC(2026, 0, 1, h, m);
      const t = await startTestApp(
        dialect,
        { functionsDir: fns.dir },
        { clock: createManualClock(at(10, 30)) },
      );
      let restarted: App | undefined;
      try {
        await t.createCollection(TICKS);
        await t.app.crons.caughtUp();
        await t.app.stop();
        const count = async (app: App) =>
          (await app.records.asSystem().list('ticks', { filter: "cron = 'hourly'" })).totalItems;
        // down from 10:30 to 13:10: the ticks of 11:00, 12:00 and 13:00 were missed
        restarted = await createApp(t.config, {
          logger: silentLogger(),
          clock: createManualClock(at(13, 10)),
        });
        await restarted.start();
        await restarted.crons.caughtUp();
        assert.equal(await count(restarted), 1);
        await restarted.stop();
        restarted = await createApp(t.config, {
          logger: silentLogger(),
          clock: createManualClock(at(13, 20)),
        });
        await restarted.start();
        await restarted.crons.caughtUp();
        assert.equal(await count(restarted), 1, 'nothing was missed since');
      } finally {
        await restarted?.stop();
        await t.close();
      }
    });
  });
}

describe('user crons on two nodes (postgres)', () => {
  const fns = functionsDir({ 'tasks.ts': TASKS_MODULE });
  let t: TestApp;
  let nodeB: App;
  const clock = createManualClock(Date.UTC(2026, 0, 1, 10, 0, 30));
  before(async () => {
    t = await startTestApp('postgres', { functionsDir: fns.dir }, { clock });
    await t.createCollection(TICKS);
    nodeB = await createApp(t.config, { logger: silentLogger(), clock });
    await nodeB.start();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
    fns.remove();
  });

  test('each tick runs once in the cluster', async () => {
    await clock.advance(3 * 60_000);
    const ticks = await t.app.records.asSystem().list('ticks', { filter: "cron = 'minute'" });
    assert.equal(ticks.totalItems, 3);
    const leases = await t.app.db.all(
      t.app.db.sys.selectFrom('_cron_leases').select(['tick']).where('id', '=', 'tasks/everyMinute'),
    );
    assert.deepEqual(leases, [{ tick: '2026-01-01T10:03:00.000Z' }]);
  });
});
