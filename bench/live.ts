// `npm run bench:live`: live list queries on one ForgeBase (SQLite) in its own process.
// BENCH_QUERIES live queries (default 1000) over BENCH_FILTERS distinct filters (default 100),
// BENCH_SOCKETS WebSockets (default 100), while BENCH_RATE writes/s (default 100) run for
// BENCH_DURATION s (default 10). Three phases on fresh servers, same data and writes:
// the writes alone (what the server spends without live queries), the live query engine,
// and the naive baseline (every live query its own, re-run on every write).
// Reports change → client p50/p99, server CPU, RSS and query runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  cpuMs,
  freePort,
  killAll,
  rssMiB,
  type ServerProcess,
  spawnServer,
  waitHealthy,
} from './processes.ts';
import { call } from './seed.ts';
import { envInt, percentile } from './stats.ts';
import { SUPERUSER } from './targets.ts';

const int = envInt;
const QUERIES = int('BENCH_QUERIES', 1000);
const FILTERS = int('BENCH_FILTERS', 100);
const SOCKETS = int('BENCH_SOCKETS', 100);
const RATE = int('BENCH_RATE', 100);
const DURATION = int('BENCH_DURATION', 10);
const RECORDS_PER_FILTER = int('BENCH_RECORDS_PER_FILTER', 20);
const SERVER = join(import.meta.dirname, 'live-server.ts');
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = percentile;

interface Phase {
  name: string;
  cpuS: number;
  rssMiB: number;
  p50: number;
  p99: number;
  delivered: string;
  runs: number;
  /** Writes that failed (a server too busy to answer within the client's timeout). */
  failedWrites: number;
}

/** A WebSocket with live queries: counts the diffs' records written after `t0`, with their latency. */
async function openSocket(url: string, queries: string[], sink: { latencies: number[]; t0: number }) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/ws`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<string, () => void>();
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.type === 'live.result') waiting.get(frame.id)?.();
    else if (frame.type === 'error') throw new Error(raw.toString());
    else if (frame.type === 'live.diff') {
      const now = Date.now();
      for (const r of [...frame.inserted, ...frame.updated])
        if (r.record.sentAt >= sink.t0) sink.latencies.push(now - r.record.sentAt);
    }
  });
  for (const [i, filter] of queries.entries()) {
    const id = `q${i}`;
    const done = new Promise<void>((resolve) => waiting.set(id, resolve));
    ws.send(
      JSON.stringify({
        type: 'live',
        id,
        query: { collection: 'lq_items', filter, sort: '-sentAt', perPage: 20 },
      }),
    );
    await done;
  }
  return ws;
}

async function runs(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: token } });
  const m = /^forgebase_live_query_runs_total (\S+)$/m.exec(await res.text());
  return Number(m?.[1] ?? 0);
}

async function phase(name: string, mode: 'shared' | 'naive', withQueries: boolean): Promise<Phase> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-live-'));
  const port = await freePort();
  let server: ServerProcess | undefined;
  const sockets: WebSocket[] = [];
  try {
    server = spawnServer(SERVER, [join(dir, 'fb_data'), `127.0.0.1:${port}`, mode], dir, port);
    await waitHealthy(server, performance.now());
    const url = server.url;
    let su: { token: string } | undefined;
    for (let i = 0; i < 50 && !su; i++) {
      su = await call(url, 'POST', '/api/collections/_superusers/auth-with-password', {
        identity: SUPERUSER.email,
        password: SUPERUSER.password,
      }).catch(() => sleep(100).then(() => undefined));
    }
    if (!su) throw new Error('no superuser');
    await call(
      url,
      'POST',
      '/api/collections',
      {
        name: 'lq_items',
        listRule: '',
        viewRule: '',
        updateRule: '',
        fields: [
          { name: 'bucket', type: 'text' },
          { name: 'sentAt', type: 'number' },
        ],
        indexes: ['CREATE INDEX idx_lq_bucket ON lq_items (bucket, sentAt)'],
      },
      su.token,
    );
    const ids: string[] = [];
    const total = FILTERS * RECORDS_PER_FILTER;
    let n = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (n < total) {
          const i = n++;
          const r = await call(
            url,
            'POST',
            '/api/collections/lq_items/records',
            { bucket: `b${i % FILTERS}`, sentAt: 0 },
            su!.token,
          );
          ids[i] = r.id;
        }
      }),
    );
    const sink = { latencies: [] as number[], t0: Number.POSITIVE_INFINITY };
    if (withQueries) {
      const perSocket = Math.ceil(QUERIES / SOCKETS);
      for (let s = 0; s < SOCKETS; s++) {
        const filters = Array.from({ length: perSocket }, (_, j) => s * perSocket + j)
          .filter((q) => q < QUERIES)
          .map((q) => `bucket = 'b${q % FILTERS}'`);
        sockets.push(await openSocket(url, filters, sink));
      }
      log(`${name}: ${QUERIES} live queries open`);
    }
    await sleep(1000);
    const runsBefore = await runs(url, su.token);
    const cpuBefore = cpuMs(server.pid);
    sink.t0 = Date.now();
    const writes = RATE * DURATION;
    const start = performance.now();
    const pending: Promise<unknown>[] = [];
    let failed = 0;
    for (let w = 0; w < writes; w++) {
      const wait = start + (w * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      const id = ids[Math.floor(Math.random() * ids.length)];
      pending.push(
        call(url, 'PATCH', `/api/collections/lq_items/records/${id}`, { sentAt: Date.now() }, su.token).catch(
          () => failed++,
        ),
      );
    }
    await Promise.all(pending);
    // the last diffs: wait until none came for 2 s (bounded by 30 s)
    const expected = withQueries ? writes * (QUERIES / FILTERS) : 0;
    for (
      let last = -1, quiet = 0, waited = 0;
      sink.latencies.length < expected && quiet < 2000 && waited < 30_000;
      waited += 100
    ) {
      await sleep(100);
      quiet = sink.latencies.length === last ? quiet + 100 : 0;
      last = sink.latencies.length;
    }
    const cpuS = (cpuMs(server.pid) - cpuBefore) / 1000;
    return {
      name,
      cpuS,
      rssMiB: rssMiB(server.pid),
      p50: pct(sink.latencies, 50),
      p99: pct(sink.latencies, 99),
      delivered: withQueries ? `${sink.latencies.length}/${expected}` : '–',
      failedWrites: failed,
      runs: (await runs(url, su.token)) - runsBefore,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const base = await phase('writes only (no live queries)', 'shared', false);
  log(`${base.name}: ${base.cpuS.toFixed(2)} s CPU`);
  const live = await phase('live queries (read sets, shared re-runs)', 'shared', true);
  log(`${live.name}: ${live.cpuS.toFixed(2)} s CPU`);
  const naive = await phase('naive baseline (every query on every write)', 'naive', true);
  log(`${naive.name}: ${naive.cpuS.toFixed(2)} s CPU`);
  const f = (x: number, d = 0) => (Number.isNaN(x) ? '–' : x.toFixed(d));
  const liveCpu = live.cpuS - base.cpuS;
  const naiveCpu = naive.cpuS - base.cpuS;
  const needed = QUERIES * RATE * DURATION;
  const naiveFull = (naiveCpu / Math.max(naive.runs, 1)) * needed;
  const table = [
    `${QUERIES} live queries (${FILTERS} distinct filters, ${SOCKETS} sockets), ${RATE} writes/s for ${DURATION} s, SQLite, one node. Load average before: ${load}.`,
    '',
    '| phase | server CPU (s) | RSS (MiB) | change → client p50 (ms) | p99 (ms) | diff records delivered | query runs | failed writes |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...[base, live, naive].map(
      (r) =>
        `| ${r.name} | ${f(r.cpuS, 2)} | ${f(r.rssMiB)} | ${f(r.p50)} | ${f(r.p99)} | ${r.delivered} | ${r.runs} | ${r.failedWrites} |`,
    ),
    '',
    `Server CPU, naive / live: ${f(naive.cpuS / live.cpuS, 1)}× in total; ${f(naiveCpu / Math.max(liveCpu, 0.01), 1)}× for the live queries alone (each minus the writes-only phase: ${f(naiveCpu, 2)} s vs ${f(liveCpu, 2)} s).`,
    `The naive baseline needs ${needed} runs (every query on every write, none coalesced) and cannot keep up: it ran ${naive.runs} before the bench stopped waiting, so its CPU is a floor. At its measured ${f((naiveCpu / Math.max(naive.runs, 1)) * 1000, 2)} ms of CPU per run, all of them would cost ${f(naiveFull, 1)} s: ${f(naiveFull / Math.max(liveCpu, 0.01), 0)}× the live queries' CPU. Target: ≥ 10× less server CPU than naive.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  writeFileSync(join(import.meta.dirname, 'results', 'live.md'), `# bench:live\n\n${table}\n`);
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
await main();
