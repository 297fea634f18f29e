// `npm run bench:compare -- <rev>`: the record API and cold start of this checkout next to an
// earlier commit, in the same run, rounds interleaved so machine noise falls on both alike.
// Env: BENCH_ROUNDS (default 3), BENCH_DURATION (s per scenario, default 5), BENCH_RECORDS
// (default 2000), BENCH_CONNECTIONS (default 50), BENCH_COLD_RUNS (default 7), BENCH_TARGETS
// ("sqlite,postgres"), BENCH_BASE_DIR (reuse a checkout of <rev> with node_modules installed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadOptions, runScenario, SCENARIO_LABELS, SCENARIOS, type ScenarioName } from './load.ts';
import { killAll, MAIN_TS, waitHealthy } from './processes.ts';
import { createBenchUser, createItemsCollection, seedItems } from './seed.ts';
import { cleanupAll, prepareTarget, TARGET_LABELS, type TargetName } from './targets.ts';

const ROOT = join(import.meta.dirname, '..');
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const intEnv = (name: string, fallback: number) => {
  const n = Number(process.env[name] || fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface Side {
  label: string;
  bin: string;
}
/** Per target and scenario: req/s and server CPU µs per request, one entry per round. */
type Samples = Record<string, { reqPerSec: number[]; cpuUs: number[] }>;

/** A checkout of `rev` with its dependencies, in a temp worktree unless BENCH_BASE_DIR names one. */
function baseCheckout(rev: string): { dir: string; remove(): void } {
  const given = process.env.BENCH_BASE_DIR;
  if (given) return { dir: given, remove() {} };
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-base-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, rev], { cwd: ROOT, stdio: 'ignore' });
  log(`installing ${rev} in ${dir}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
  return {
    dir,
    remove() {
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    },
  };
}

/** One side on one target: seeds, runs every scenario, notes req/s and CPU per request. */
async function measure(side: Side, name: TargetName, load: LoadOptions, records: number, into: Samples) {
  const target = await prepareTarget(name, { superuser: true, bin: side.bin });
  try {
    const server = await target.spawn();
    await waitHealthy(server, performance.now());
    await createItemsCollection(server.url);
    const token = await createBenchUser(server.url);
    const ids = await seedItems(server.url, records);
    await new Promise((r) => setTimeout(r, 500));
    for (const scenario of SCENARIOS) {
      const s = await runScenario(server.url, server.pid, scenario, ids, { ...load, token });
      const key = `${side.label}|${name}|${scenario}`;
      into[key] ??= { reqPerSec: [], cpuUs: [] };
      into[key].reqPerSec.push(s.reqPerSec);
      into[key].cpuUs.push(s.cpuUsPerReq);
      if (s.failures) log(`  ${side.label} ${name} ${scenario}: ${s.failures} FAILED`);
    }
  } finally {
    await target.cleanup();
  }
}

async function coldStart(side: Side, name: TargetName): Promise<number> {
  const target = await prepareTarget(name, { superuser: false, bin: side.bin });
  try {
    const started = performance.now();
    return await waitHealthy(await target.spawn(), started);
  } finally {
    await target.cleanup();
  }
}

const pct = (head: number, base: number) =>
  `${head >= base ? '+' : ''}${(((head - base) / base) * 100).toFixed(0)}%`;

async function main(): Promise<void> {
  const rev = process.argv[2];
  if (!rev) throw new Error('usage: npm run bench:compare -- <git rev to compare against>');
  const rounds = intEnv('BENCH_ROUNDS', 3);
  const durationSec = intEnv('BENCH_DURATION', 5);
  const load: LoadOptions = {
    connections: intEnv('BENCH_CONNECTIONS', 50),
    durationSec,
    warmupSec: 1,
  };
  const records = intEnv('BENCH_RECORDS', 2000);
  const coldRuns = intEnv('BENCH_COLD_RUNS', 7);
  const targets = (process.env.BENCH_TARGETS ?? 'sqlite,postgres').split(',') as TargetName[];
  const checkout = baseCheckout(rev);
  const base: Side = { label: rev, bin: join(checkout.dir, 'packages/server/bin/forgebase.js') };
  const head: Side = { label: 'this checkout', bin: MAIN_TS };
  if (!existsSync(base.bin)) throw new Error(`${base.bin} not found`);
  const loadStart = loadavg()[0] ?? 0;
  const samples: Samples = {};
  const cold: Record<string, number[]> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [base, head] : [head, base];
      for (const name of targets)
        for (const side of order) {
          log(`round ${round + 1}/${rounds}: ${TARGET_LABELS[name]}, ${side.label}`);
          await measure(side, name, load, records, samples);
        }
    }
    for (let i = 0; i < coldRuns; i++)
      for (const name of targets)
        for (const side of i % 2 === 0 ? [base, head] : [head, base]) {
          const key = `${side.label}|${name}`;
          cold[key] ??= [];
          cold[key].push(await coldStart(side, name));
        }
  } finally {
    checkout.remove();
  }

  const lines = [
    `# ForgeBase: this checkout against ${rev}`,
    '',
    `${new Date().toISOString()} · ${rounds} interleaved rounds of ${durationSec} s per scenario, ${load.connections} connections, ${records} records · medians · load average ${loadStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`,
    '',
    "Server CPU per request is the server process's user + system time over the requests it answered: less sensitive to other load on the machine than req/s.",
    '',
    `| target | scenario | req/s ${rev} | req/s now | change | CPU µs/req ${rev} | CPU µs/req now | change |`,
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const name of targets)
    for (const scenario of SCENARIOS as ScenarioName[]) {
      const b = samples[`${base.label}|${name}|${scenario}`]!;
      const h = samples[`${head.label}|${name}|${scenario}`]!;
      const [br, hr, bc, hc] = [b.reqPerSec, h.reqPerSec, b.cpuUs, h.cpuUs].map(median) as [
        number,
        number,
        number,
        number,
      ];
      lines.push(
        `| ${TARGET_LABELS[name]} | ${SCENARIO_LABELS[scenario]} | ${Math.round(br)} | ${Math.round(hr)} | ${pct(hr, br)} | ${Math.round(bc)} | ${Math.round(hc)} | ${pct(hc, bc)} |`,
      );
    }
  lines.push(
    '',
    `| target | cold start ms ${rev} (median of ${coldRuns}) | now | change |`,
    '|---|--:|--:|--:|',
  );
  for (const name of targets) {
    const b = median(cold[`${base.label}|${name}`]!);
    const h = median(cold[`${head.label}|${name}`]!);
    lines.push(`| ${TARGET_LABELS[name]} | ${Math.round(b)} | ${Math.round(h)} | ${pct(h, b)} |`);
  }
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(`\n${text}`);
  const out = join(import.meta.dirname, 'results', 'compare.md');
  writeFileSync(out, text);
  log(`wrote ${out}`);
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    killAll();
    cleanupAll().finally(() => process.exit(130));
  });

try {
  await main();
} catch (e) {
  killAll();
  process.stderr.write(`bench compare failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
