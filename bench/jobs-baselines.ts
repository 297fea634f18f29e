// The job queues users would pick instead of ForgeBase's, for `npm run bench:jobs`: pg-boss
// and graphile-worker, each on its own schema of the same PostgreSQL, behind one interface.
import { Logger, makeWorkerUtils, type Runner, run as runGraphile, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { PgBoss } from 'pg-boss';

/** What a bench job does: nothing, or insert one row (the effect) in its own statement. */
export type JobKind = 'noop' | 'write';

/** A queue under test: fill it, start its workers (calling `onJob` per job), add one job, stop. */
export interface QueueUnderTest {
  label: string;
  /** Adds `n` jobs of `kind` at once (not timed). */
  fill(kind: JobKind, n: number): Promise<void>;
  /** Starts the workers of one kind of job; `onJob` runs inside each job, before its effect. */
  start(kind: JobKind, onJob: (kind: JobKind, n: number) => void): Promise<void>;
  add(kind: JobKind, n: number): Promise<void>;
  stop(): Promise<void>;
}

/** The effect of a `write` job in a baseline: one row in `bench_effects` of its schema. */
async function effectsTable(url: string, schema: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_effects (n INTEGER NOT NULL, at TIMESTAMPTZ DEFAULT now())',
  );
  return pool;
}

/**
 * pg-boss in its high-throughput setup: LISTEN/NOTIFY on, one worker per queue fetching
 * batches of 8 (run at once) and fetching again at once while batches come back full
 * (`burstWhenBatchFull`), its fastest poll (0.5 s) as the floor. (With `batchSize` 1 each
 * worker fetches once per poll interval: far slower.)
 */
export async function pgBossQueue(url: string, schema: string, concurrency: number): Promise<QueueUnderTest> {
  const boss = new PgBoss({ connectionString: url, schema, useListenNotify: true });
  boss.on('error', (e) => {
    if (process.env.BENCH_DEBUG) console.error('pg-boss', e);
  });
  await boss.start();
  const pool = await effectsTable(url, schema);
  for (const kind of ['noop', 'write'] as const) await boss.createQueue(kind, { notify: true });
  return {
    label: 'pg-boss',
    async fill(kind, n) {
      for (let i = 0; i < n; i += 1000)
        await boss.insert(
          kind,
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ data: { n: i + j } })),
        );
    },
    async start(kind, onJob) {
      await boss.work<{ n: number }>(
        kind,
        { batchSize: concurrency, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
        (jobs) =>
          Promise.all(
            jobs.map(async (job) => {
              onJob(kind, job.data.n);
              if (kind === 'write')
                await pool.query('INSERT INTO bench_effects (n) VALUES ($1)', [job.data.n]);
            }),
          ),
      );
    },
    async add(kind, n) {
      await boss.send(kind, { n });
    },
    async stop() {
      await boss.stop({ graceful: false, timeout: 2000 }).catch(() => undefined);
      await pool.end();
    },
  };
}

/** graphile-worker with 8 concurrent jobs (LISTEN/NOTIFY is always on), polling every 0.5 s. */
export async function graphileQueue(
  url: string,
  schema: string,
  concurrency: number,
): Promise<QueueUnderTest> {
  const pool = await effectsTable(url, schema);
  const logger = new Logger(() => () => undefined);
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString: url, schema, logger });
  await utils.migrate();
  const runners: Runner[] = [];
  return {
    label: 'graphile-worker',
    async fill(kind, n) {
      for (let i = 0; i < n; i += 1000)
        await utils.addJobs(
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
            identifier: kind,
            payload: { n: i + j },
          })),
        );
    },
    async start(kind, onJob) {
      const runner = await runGraphile({
        connectionString: url,
        schema,
        concurrency,
        pollInterval: 500,
        noHandleSignals: true,
        logger,
        taskList: {
          [kind]: async (payload: unknown) => {
            const { n } = payload as { n: number };
            onJob(kind, n);
            if (kind === 'write') await pool.query('INSERT INTO bench_effects (n) VALUES ($1)', [n]);
          },
        },
      });
      runners.push(runner);
    },
    async add(kind, n) {
      await utils.addJob(kind, { n });
    },
    async stop() {
      for (const r of runners) await r.stop();
      await utils.release();
      await pool.end();
    },
  };
}
