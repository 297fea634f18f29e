// `npm run bench:jobs`: jobs per second through ForgeBase's queue (no-op jobs, and jobs that
// write one record in the transaction that completes them) on SQLite and PostgreSQL, and the
// enqueue→start latency of single jobs on idle workers, beside pg-boss and graphile-worker
// measured in the same run on the same PostgreSQL (a schema each). Every queue runs 8 jobs
// at once. Env: BENCH_JOBS (jobs per throughput scenario, default 5000), BENCH_LATENCY
// (single jobs timed, default 200), FORGEBASE_BENCH_PG. Writes the table to results/jobs.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { type App, createApp, loadConfig } from '../packages/server/src/app.ts';
import { createLogger } from '../packages/server/src/observability/logger.ts';
import { graphileQueue, type JobKind, pgBossQueue, type QueueUnderTest } from './jobs-baselines.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 5000);
const LATENCY = Number(process.env.BENCH_LATENCY ?? 200);
const CONCURRENCY = 8;
const PG_URL = process.env.FORGEBASE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
if (![JOBS, LATENCY].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('BENCH_JOBS and BENCH_LATENCY must be positive integers');
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const silent = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

/** ForgeBase's queue in an app of its own (`jobs_workers` 8); a write job creates a record in its completing transaction. */
async function forgeBaseQueue(
  dialect: 'sqlite' | 'postgres',
  schema: string,
): Promise<QueueUnderTest & { cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-jobs-'));
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  const config = loadConfig(
    {
      http: '127.0.0.1:0',
      dataDir: join(dir, 'fb_data'),
      migrationsDir: join(dir, 'fb_migrations'),
      logRequests: false,
      jobsWorkers: CONCURRENCY,
      ...(dialect === 'postgres' ? { db: url.toString() } : {}),
    },
    {},
    dir,
  );
  const app: App = await createApp(config, { logger: silent() });
  await app.start();
  await app.collections.create({ name: 'effects', type: 'base', fields: [{ name: 'n', type: 'number' }] });
  return {
    label: `ForgeBase (${dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`,
    async fill(kind, n) {
      await app.db.transaction(async (tx) => {
        for (let i = 0; i < n; i++) await app.jobs.enqueue(kind, { n: i }, {}, tx);
      });
    },
    async start(kind, onJob) {
      if (kind === 'noop') app.jobs.define('noop', {}, (job) => onJob('noop', (job.args as { n: number }).n));
      else
        app.jobs.define('write', {}, (job) => {
          const { n } = job.args as { n: number };
          onJob('write', n);
          return app.records.inTransaction(async (r) => {
            await r.asSystem().create('effects', { n });
            await job.complete(r.tx);
          });
        });
    },
    async add(kind, n) {
      await app.jobs.enqueue(kind, { n });
    },
    async stop() {
      await app.stop();
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};

interface Result {
  label: string;
  noop: number;
  write: number;
  p50: number;
  p99: number;
}

/** Drains a pre-filled queue of each kind (jobs/s), then times single jobs on idle workers. */
async function measure(q: QueueUnderTest): Promise<Result> {
  let waiting: { kind: JobKind; left: number; done: () => void } | undefined;
  let started: ((n: number) => void) | undefined;
  const seen = new Set<string>();
  const onJob = (kind: JobKind, n: number) => {
    if (started && n < 0) return started(n);
    if (!waiting || waiting.kind !== kind || seen.has(`${kind}:${n}`)) return;
    seen.add(`${kind}:${n}`);
    if (--waiting.left === 0) waiting.done();
  };
  const throughput: Record<JobKind, number> = { noop: 0, write: 0 };
  for (const kind of ['noop', 'write'] as const) {
    // filled before its workers start: the time is the drain alone
    await q.fill(kind, JOBS);
    const drained = new Promise<void>((done) => {
      waiting = { kind, left: JOBS, done };
    });
    const t = performance.now();
    await q.start(kind, onJob);
    await drained;
    throughput[kind] = JOBS / ((performance.now() - t) / 1000);
    waiting = undefined;
    log(`  ${q.label}: ${kind} ${throughput[kind].toFixed(0)} jobs/s`);
  }
  const samples: number[] = [];
  for (let i = 1; i <= LATENCY; i++) {
    const t = performance.now();
    const begun = new Promise<void>((r) => {
      started = () => r();
    });
    await q.add('noop', -i);
    await begun;
    samples.push(performance.now() - t);
  }
  started = undefined;
  log(`  ${q.label}: latency p50 ${pct(samples, 50).toFixed(2)} ms, p99 ${pct(samples, 99).toFixed(2)} ms`);
  await q.stop();
  return { label: q.label, ...throughput, p50: pct(samples, 50), p99: pct(samples, 99) };
}

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  log(
    `bench:jobs: ${JOBS} jobs per scenario, ${LATENCY} latency samples, ${CONCURRENCY} at once; load ${load}`,
  );
  const schema = () => `fb_bench_jobs_${randomBytes(4).toString('hex')}`;
  const results: Result[] = [];
  const schemas: string[] = [];
  const make: (() => Promise<QueueUnderTest & { cleanup?: () => void }>)[] = [
    () => forgeBaseQueue('sqlite', schema()),
    () => {
      const s = schema();
      schemas.push(s);
      return forgeBaseQueue('postgres', s);
    },
    () => {
      const s = schema();
      schemas.push(s);
      return pgBossQueue(PG_URL, s, CONCURRENCY);
    },
    () => {
      const s = schema();
      schemas.push(s);
      return graphileQueue(PG_URL, s, CONCURRENCY);
    },
  ];
  try {
    const only = process.env.BENCH_ONLY;
    for (const [i, m] of make.entries()) {
      if (only !== undefined && !only.split(',').includes(String(i))) continue;
      const q = await m();
      try {
        results.push(await measure(q));
      } finally {
        q.cleanup?.();
      }
    }
  } finally {
    for (const s of schemas) await dropSchema(s).catch(() => undefined);
  }
  const ours = results.find((r) => r.label === 'ForgeBase (PostgreSQL)');
  const baselines = results.filter((r) => !r.label.startsWith('ForgeBase'));
  const best = (k: 'noop' | 'write') => Math.max(...baselines.map((r) => r[k]));
  const ratio = (k: 'noop' | 'write') => (ours && baselines.length ? (ours[k] / best(k)).toFixed(2) : 'n/a');
  const lines = [
    `# bench:jobs (${new Date().toISOString()})`,
    '',
    `${JOBS} jobs per throughput scenario drained from a pre-filled queue, ${CONCURRENCY} at once; ${LATENCY} single no-op jobs enqueued on idle workers for the latency. Load average at start: ${load} (${process.platform}, Node ${process.version}).`,
    '',
    '| queue | no-op jobs/s | write jobs/s | enqueue→start p50 (ms) | p99 (ms) |',
    '|---|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.noop.toFixed(0)} | ${r.write.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
    ),
    '',
    `ForgeBase (PostgreSQL) against the faster baseline: no-op ×${ratio('noop')}, write ×${ratio('write')} (target ×2).`,
    '',
  ];
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', 'jobs.md'), table);
}

await main();
