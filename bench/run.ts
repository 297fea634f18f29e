// `npm run bench`: seeds each target, measures the load scenarios and cold start, prints and saves a table.
// Env: BENCH_DURATION (s per scenario, default 10), BENCH_TARGETS (e.g. "sqlite,fastify"),
// BENCH_RECORDS (default 10000), BENCH_CONNECTIONS (default 50), BENCH_COLD_RUNS (default 5).
import { cpus, loadavg, platform, release } from 'node:os';
import { type LoadOptions, runScenario, SCENARIO_LABELS, SCENARIOS } from './load.ts';
import { killAll, rssMiB, waitHealthy } from './processes.ts';
import { type BenchResults, renderTables, type TargetResult, writeLatest } from './report.ts';
import { createBenchUser, createItemsCollection, seedItems } from './seed.ts';
import { cleanupAll, prepareTarget, TARGET_LABELS, TARGETS, type TargetName } from './targets.ts';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function targetsFromEnv(): TargetName[] {
  const raw = process.env.BENCH_TARGETS;
  if (!raw) return TARGETS;
  const list = raw.split(',').map((s) => s.trim()) as TargetName[];
  const bad = list.filter((t) => !TARGETS.includes(t));
  if (bad.length)
    throw new Error(`unknown BENCH_TARGETS ${bad.join(', ')}; choose from ${TARGETS.join(', ')}`);
  return TARGETS.filter((t) => list.includes(t));
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Seeds one target in its own process, then runs every scenario against it. */
async function measureLoad(name: TargetName, records: number, load: LoadOptions): Promise<TargetResult> {
  const target = await prepareTarget(name, { superuser: true });
  try {
    const server = await target.spawn();
    await waitHealthy(server, performance.now());
    if (name !== 'fastify') await createItemsCollection(server.url);
    // the baseline ignores the header; ForgeBase verifies it and resolves the user
    const token = name === 'fastify' ? 'baseline-ignores-this' : await createBenchUser(server.url);
    const seedStart = performance.now();
    const ids = await seedItems(server.url, records);
    const seedMs = performance.now() - seedStart;
    log(`  seeded ${records} records in ${(seedMs / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 1000)); // let the seeding burst settle before reading idle RSS
    const result: TargetResult = { scenarios: {}, seedMs, rssIdleMiB: rssMiB(server.pid), rssLoadedMiB: 0 };
    for (const scenario of SCENARIOS) {
      const s = await runScenario(server.url, server.pid, scenario, ids, { ...load, token });
      result.scenarios[scenario] = s;
      result.rssLoadedMiB = Math.max(result.rssLoadedMiB ?? 0, s.rssMaxMiB);
      log(
        `  ${SCENARIO_LABELS[scenario]}: ${Math.round(s.reqPerSec)} req/s, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ${Math.round(s.cpuUsPerReq)} µs CPU/req` +
          (s.failures ? `, ${s.failures} FAILED` : ''),
      );
    }
    return result;
  } finally {
    await target.cleanup();
  }
}

/** Time from spawn to the first 200 on /api/health, on a fresh empty data dir each time. */
async function measureColdStart(name: TargetName, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const target = await prepareTarget(name, { superuser: false });
    try {
      const started = performance.now();
      const server = await target.spawn();
      times.push(await waitHealthy(server, started));
    } finally {
      await target.cleanup();
    }
  }
  return times;
}

async function main(): Promise<void> {
  const durationSec = intEnv('BENCH_DURATION', 10);
  const load: LoadOptions = {
    connections: intEnv('BENCH_CONNECTIONS', 50),
    durationSec,
    warmupSec: durationSec >= 5 ? 2 : 1,
  };
  const records = intEnv('BENCH_RECORDS', 10000);
  const coldRuns = intEnv('BENCH_COLD_RUNS', 5);
  const names = targetsFromEnv();
  const cpu = cpus();
  const results: BenchResults = {
    date: new Date().toISOString(),
    environment: {
      node: process.versions.node,
      cpus: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
      platform: `${platform()} ${release()}`,
      loadAvgAtStart: loadavg()[0] ?? 0,
      loadAvgAtEnd: 0,
    },
    settings: { records, connections: load.connections, durationSec, warmupSec: load.warmupSec, coldRuns },
    targets: {},
  };

  for (const name of names) {
    log(`${TARGET_LABELS[name]}: load`);
    results.targets[name] = await measureLoad(name, records, load);
  }
  for (const name of names) {
    const runs = await measureColdStart(name, coldRuns);
    const t = results.targets[name]!;
    t.coldStartRunsMs = runs;
    t.coldStartMs = median(runs);
    log(`${TARGET_LABELS[name]}: cold start ${runs.map((ms) => Math.round(ms)).join(', ')} ms`);
  }

  results.environment.loadAvgAtEnd = loadavg()[0] ?? 0;
  const tables = renderTables(results);
  process.stdout.write(`\n${tables}\n\n`);
  log(`wrote ${writeLatest(results, tables)}`);
}

let interrupted = false;
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    log(`${signal}: stopping servers and cleaning up`);
    killAll();
    cleanupAll().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (e) {
  killAll();
  if (!interrupted)
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
