import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { createJobQueue, type JobQueue } from '../../src/jobs/job-queue.ts';
import type { JobOutcome } from '../../src/jobs/worker-pool.ts';
import { SYSTEM_MIGRATIONS } from '../../src/system-migrations.ts';
import { DIALECTS, silentLogger } from '../support/app.ts';
import { createManualClock, type ManualClock } from '../support/clock.ts';
import { schemaUrl } from '../support/pg.ts';
import { Inbox } from '../support/realtime.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

const open = (dialect: string, s: TestStorage): Promise<Database> =>
  openDatabase({
    dataDir: s.dir,
    systemMigrations: SYSTEM_MIGRATIONS,
    ...(dialect === 'postgres' ? { db: schemaUrl(s.schema) } : {}),
  });

for (const dialect of DIALECTS) {
  describe(`job queue (${dialect})`, () => {
    let storage: TestStorage;
    let db: Database;
    let clock: ManualClock;
    const queues: JobQueue[] = [];
    let outcomes: Inbox<JobOutcome>;

    /** A started queue ("node") on `on` with `workers` workers; its outcomes go to `outcomes`. */
    async function node(workers = 4, on: Database = db): Promise<JobQueue> {
      const q = createJobQueue({
        db: on,
        clock,
        logger: silentLogger(),
        workers,
        pollMs: 100,
        leaseGraceMs: 1000,
        shutdownMs: 5000,
        onOutcome: (o) => outcomes.push(o),
      });
      await q.start();
      queues.push(q);
      return q;
    }
    const row = (id: string) => db.first(db.sys.selectFrom('_jobs').selectAll().where('id', '=', id));

    before(async () => {
      storage = testStorage(dialect, 'fb-jobs-');
      db = await open(dialect, storage);
    });
    after(async () => {
      for (const q of queues) await q.stop();
      await db.close();
      await storage.remove();
    });

    test('a failing job is retried with exponential backoff, then is dead with its last error', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 1));
      outcomes = new Inbox();
      const q = await node();
      const attempts: [number, number][] = [];
      q.define('flaky', { retries: 2, backoff: 'exponential', backoffDelay: '1s' }, (job) => {
        attempts.push([job.attempt, clock.now()]);
        throw new Error(`boom ${job.attempt}`);
      });
      const { id } = await q.enqueue('flaky', { n: 1 });
      assert.equal((await outcomes.next()).state, 'failed');
      const [, first] = attempts[0]!;
      assert.equal(Number((await row(id))?.run_at), first + 1000);
      assert.equal((await row(id))?.state, 'failed');
      await clock.advance(900);
      assert.equal(attempts.length, 1, 'not before its backoff');
      // the poll (every 100 ms) takes it once it is due
      await clock.advance(200);
      assert.equal((await outcomes.next()).state, 'failed');
      const [, second] = attempts[1]!;
      assert.ok(second >= first + 1000 && second <= first + 1200, `retried on time (${second - first} ms)`);
      assert.equal(Number((await row(id))?.run_at), second + 2000, 'the second wait doubles');
      await clock.advance(second + 1900 - clock.now());
      assert.equal(attempts.length, 2, 'not before its doubled backoff');
      await clock.advance(200);
      assert.equal((await outcomes.next()).state, 'dead');
      assert.deepEqual(
        attempts.map(([n]) => n),
        [1, 2, 3],
      );
      const dead = await q.list({ state: 'dead' });
      assert.equal(dead.totalItems, 1);
      assert.deepEqual(
        [dead.items[0]?.id, dead.items[0]?.attempts, dead.items[0]?.lastError],
        [id, 3, 'Error: boom 3'],
      );
      await q.stop();
    });

    test('a job enqueued in a rolled-back transaction never exists; a committed one runs', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 2));
      outcomes = new Inbox();
      const q = await node();
      const ran: unknown[] = [];
      q.define('tx', {}, (job) => void ran.push(job.args));
      await assert.rejects(
        db.transaction(async (tx) => {
          await q.enqueue('tx', 'rolled back', {}, tx);
          throw new Error('abort');
        }),
        /abort/,
      );
      await db.transaction((tx) => q.enqueue('tx', 'committed', {}, tx));
      assert.equal((await outcomes.next()).state, 'completed');
      assert.deepEqual(ran, ['committed']);
      assert.equal((await q.list({ name: 'tx' })).totalItems, 1);
      await q.stop();
    });

    test('a dedup key returns the pending job; once it completed the key is free again', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 3));
      outcomes = new Inbox();
      const q = await node();
      const first = await q.enqueue('dedup', { v: 1 }, { key: 'user-1', delay: '1s' });
      const second = await q.enqueue('dedup', { v: 2 }, { key: 'user-1' });
      const other = await q.enqueue('dedup', { v: 3 }, { key: 'user-2', delay: '1s' });
      assert.deepEqual(second, { id: first.id, deduplicated: true });
      assert.equal(other.deduplicated, false);
      assert.notEqual(other.id, first.id);
      const seen: unknown[] = [];
      q.define('dedup', {}, (job) => void seen.push(job.args));
      await clock.advance(1000);
      await outcomes.next();
      await outcomes.next();
      assert.deepEqual(
        seen.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [{ v: 1 }, { v: 3 }],
      );
      const again = await q.enqueue('dedup', { v: 4 }, { key: 'user-1' });
      assert.equal(again.deduplicated, false);
      await outcomes.next();
      await q.stop();
    });

    test('higher priorities run first, then the oldest', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 4));
      outcomes = new Inbox();
      const q = await node(1);
      for (const [i, priority] of [0, 5, 1, 5].entries()) {
        await q.enqueue('prio', `${i}:${priority}`, { priority });
        await clock.advance(1);
      }
      const order: unknown[] = [];
      q.define('prio', {}, (job) => void order.push(job.args));
      for (let i = 0; i < 4; i++) await outcomes.next();
      assert.deepEqual(order, ['1:5', '3:5', '2:1', '0:0']);
      await q.stop();
    });

    test('a delayed job runs when its delay is over, not before', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 5));
      outcomes = new Inbox();
      const q = await node();
      const ran: number[] = [];
      q.define('later', {}, () => void ran.push(clock.now()));
      const start = clock.now();
      await q.enqueue('later', null, { delay: '10s' });
      await clock.advance(9_900);
      assert.deepEqual(ran, []);
      await clock.advance(100);
      await outcomes.next();
      assert.deepEqual(ran, [start + 10_000]);
      await q.stop();
    });

    test('a concurrency limit holds across two nodes under load', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 6));
      outcomes = new Inbox();
      const db2 = await open(dialect, storage);
      try {
        const a = await node(8);
        const b = await node(8, db2);
        let active = 0;
        let most = 0;
        const work = async () => {
          active++;
          most = Math.max(most, active);
          // real work on the database while the slot is held
          await db.all(db.sys.selectFrom('_jobs').select('id').limit(5));
          await new Promise((r) => setImmediate(r));
          active--;
        };
        a.define('limited', { concurrency: 3 }, work);
        b.define('limited', { concurrency: 3 }, work);
        const total = 60;
        await db.transaction(async (tx) => {
          for (let i = 0; i < total; i++) await a.enqueue('limited', i, {}, tx);
        });
        // each finished job frees a slot and its node claims again
        for (let i = 0; i < total; i++) assert.equal((await outcomes.next(10_000)).state, 'completed');
        assert.ok(most <= 3, `at most 3 at once (saw ${most})`);
        assert.ok(most >= 2, `the limit is used (saw ${most})`);
        await a.stop();
        await b.stop();
      } finally {
        await db2.close();
      }
    });

    test('a job whose lease ran out (a crashed worker) is claimed again; stop() gives running jobs back', async () => {
      clock = createManualClock(Date.UTC(2026, 0, 7));
      outcomes = new Inbox();
      const q = await node();
      const { id } = await q.enqueue('orphan', 'x', { delay: '1h' });
      // as a crashed node leaves it: running, attempt 1, lease gone by now
      await db.run(
        db.sys
          .updateTable('_jobs')
          .set({ state: 'running', attempts: 1, lease_until: clock.now() - 1 })
          .where('id', '=', id),
      );
      const attempts = new Inbox<number>();
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => {
        release = r;
      });
      q.define('orphan', { timeout: '1h' }, async (job) => {
        attempts.push(job.attempt);
        if (job.attempt === 2) await held;
      });
      await clock.advance(100);
      assert.equal(await attempts.next(), 2);
      const stopping = q.stop();
      await clock.advance(5000);
      await stopping;
      const r = await row(id);
      assert.deepEqual([r?.state, Number(r?.attempts), r?.lease_until], ['queued', 1, null]);
      release();
    });
  });
}
