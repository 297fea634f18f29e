// `npm run bench:functions`: what running a function in the QuickJS sandbox costs, beside a
// plain in-process call of the same handler and a bare Fastify route (HTTP round trip on
// loopback), all in one run of one process. Env: BENCH_CALLS (default 2000), BENCH_COLD
// (cold starts measured, default 20). Writes the table to results/functions.md too.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
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
  note?: string;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function timed(n: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(200, n); i++) await run(); // warm-up (JIT, pools)
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    out.push(performance.now() - t);
  }
  return out;
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
    const first = await loadIsolatedModule(join(root, 'isolated', 'm0.ts'), { root });
    await first.invoke('echo', input, bridge);
    rows.push({
      scenario: 'first isolated module of the process (worker + WASM start, load, 1st call)',
      samples: [performance.now() - t],
    });

    // cold start: a module never loaded before, then its first call
    const cold: number[] = [];
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
      note: 'target < 10 ms',
    });

    const handler = (_ctx: unknown, a: typeof args) => ({ n: a.n + 1, name: a.name });
    const inProcess = await timed(CALLS, async () => handler(null, structuredClone(args)));
    rows.push({ scenario: 'in-process call of the same handler', samples: inProcess });

    const isolated = await timed(CALLS, () => first.invoke('echo', input, bridge));
    rows.push({ scenario: 'isolated call (warm VM)', samples: isolated, note: 'target: overhead < 1 ms' });

    const withBridge = await timed(CALLS, () => first.invoke('viaBridge', input, bridge));
    rows.push({
      scenario: 'isolated call with one ctx.records().getOne (bridge round trip)',
      samples: withBridge,
    });

    const concurrent: number[] = [];
    for (let r = 0; r < Math.max(1, Math.floor(CALLS / 100)); r++) {
      t = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => first.invoke('echo', input, bridge)));
      concurrent.push((performance.now() - t) / 8);
    }
    rows.push({ scenario: 'isolated calls, 8 at once (time per call)', samples: concurrent });

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
    const fastify = await timed(CALLS, get);
    rows.push({ scenario: 'bare Fastify route, HTTP round trip (keep-alive, loopback)', samples: fastify });
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
    '| scenario | n | p50 (ms) | p99 (ms) | mean (ms) | p50 − in-process (ms) | p50 / Fastify round trip | |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
    ...rows.map((r) => {
      const p50 = pct(r.samples, 50);
      return `| ${r.scenario} | ${r.samples.length} | ${f(p50)} | ${f(pct(r.samples, 99))} | ${f(mean(r.samples))} | ${f(p50 - inProc)} | ${(p50 / http).toFixed(2)} | ${r.note ?? ''} |`;
    }),
    '',
    `Node ${process.version}, ${new Date().toISOString()}, load average ${(await import('node:os'))
      .loadavg()
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
