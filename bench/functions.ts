// `npm run bench:functions`: what running a function in the QuickJS sandbox costs, beside a
// plain in-process call of the same handler and a bare Fastify route (HTTP round trip on
// loopback), all in one run of one process. Env: BENCH_CALLS (default 2000), BENCH_COLD
// (cold starts measured, default 20). Writes the table to results/functions.md too.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadIsolatedModule, type SandboxBridge } from '../packages/server/src/functions/sandbox/sandbox.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const COLD = Number(process.env.BENCH_COLD ?? 20);
if (![CALLS, COLD].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('BENCH_CALLS and BENCH_COLD must be positive integers');
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const MODULE = `import { query } from '@forgebase/server/functions';
interface Args { n: number; name: string }
export const echo = query((ctx, args: Args) => ({ n: args.n + 1, name: args.name }));
export const viaBridge = query(async (ctx, args: Args) => ({ todo: await ctx.records('todos').getOne('r' + args.n) }));
`;
const args = { n: 1, name: 'bench' };
const input = { args, auth: { id: 'u1' }, env: {} };
const bridge: SandboxBridge = async (_method, a) => ({ id: a[1], title: 'from memory' });

interface Row {
  scenario: string;
  samples: number[]; // ms
  /** CPU time of the whole process (main thread + sandbox worker) per call, ms. */
  cpu?: number;
  note?: string;
}

/** CPU ms of the process since `from` (process.cpuUsage counts every thread). */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function timed(scenario: string, n: number, run: () => Promise<unknown>, note?: string): Promise<Row> {
  for (let i = 0; i < Math.min(200, n); i++) await run(); // warm-up (JIT, pools)
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  return { scenario, samples, cpu: cpuSince(cpu) / n, note };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-functions-'));
  const root = join(dir, 'fb_functions');
  mkdirSync(join(root, 'isolated'), { recursive: true });
  const rows: Row[] = [];
  const app = Fastify();
  try {
    for (let i = 0; i <= COLD; i++) writeFileSync(join(root, 'isolated', `m${i}.ts`), MODULE);

    // once per process: the worker thread starts and instantiates the WebAssembly engine
    let t = performance.now();
    const firstCpu = process.cpuUsage();
    const first = await loadIsolatedModule(join(root, 'isolated', 'm0.ts'), { root });
    await first.invoke('echo', input, bridge);
    rows.push({
      scenario: 'first isolated module of the process (worker + WASM start, load, 1st call)',
      samples: [performance.now() - t],
      cpu: cpuSince(firstCpu),
    });

    // cold start: a module never loaded before, then its first call
    const cold: number[] = [];
    const coldCpu = process.cpuUsage();
    for (let i = 1; i <= COLD; i++) {
      t = performance.now();
      const m = await loadIsolatedModule(join(root, 'isolated', `m${i}.ts`), { root });
      await m.invoke('echo', input, bridge);
      cold.push(performance.now() - t);
      m.dispose();
    }
    rows.push({
      scenario: 'cold start: load an isolated module + first call',
      samples: cold,
      cpu: cpuSince(coldCpu) / COLD,
      note: 'target < 10 ms',
    });

    const handler = (_ctx: unknown, a: typeof args) => ({ n: a.n + 1, name: a.name });
    rows.push(
      await timed('in-process call of the same handler', CALLS, async () =>
        handler(null, structuredClone(args)),
      ),
    );
    rows.push(
      await timed(
        'isolated call (warm VM)',
        CALLS,
        () => first.invoke('echo', input, bridge),
        'target: overhead < 1 ms',
      ),
    );
    rows.push(
      await timed('isolated call with one ctx.records().getOne (bridge round trip)', CALLS, () =>
        first.invoke('viaBridge', input, bridge),
      ),
    );

    const concurrent: number[] = [];
    const rounds = Math.max(1, Math.floor(CALLS / 100));
    const cpu = process.cpuUsage();
    for (let r = 0; r < rounds; r++) {
      t = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => first.invoke('echo', input, bridge)));
      concurrent.push((performance.now() - t) / 8);
    }
    rows.push({
      scenario: 'isolated calls, 8 at once (time per call)',
      samples: concurrent,
      cpu: cpuSince(cpu) / (rounds * 8),
    });

    app.get('/echo', async () => ({ n: 2, name: 'bench' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<void>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/echo', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
          .on('error', reject)
          .end();
      });
    rows.push(await timed('bare Fastify route, HTTP round trip (keep-alive, loopback)', CALLS, get));
    agent.destroy();
    first.dispose();
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const base = (name: string) => pct(rows.find((r) => r.scenario.startsWith(name))!.samples, 50);
  const inProc = base('in-process');
  const http = base('bare Fastify');
  const f = (x: number) => (x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(1));
  const table = [
    '| scenario | n | p50 (ms) | p99 (ms) | mean (ms) | CPU per call (ms) | p50 − in-process (ms) | p50 / Fastify round trip | |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
    ...rows.map((r) => {
      const p50 = pct(r.samples, 50);
      const cpu = r.cpu === undefined ? '–' : f(r.cpu);
      return `| ${r.scenario} | ${r.samples.length} | ${f(p50)} | ${f(pct(r.samples, 99))} | ${f(mean(r.samples))} | ${cpu} | ${f(p50 - inProc)} | ${(p50 / http).toFixed(2)} | ${r.note ?? ''} |`;
    }),
    '',
    'CPU per call: user + system time of the whole process (the server thread and the sandbox worker; for Fastify, client and server) over the loop, divided by the calls.',
    `Node ${process.version}, ${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const results = join(import.meta.dirname, 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'functions.md'), `# bench:functions\n\n${table}\n`);
  log('wrote bench/results/functions.md');
}

await main();
