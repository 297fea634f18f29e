// `npm run bench:realtime`: many concurrent realtime connections to one ForgeBase (SQLite) in
// its own process; writes at a steady rate; change-to-client latency, connect time and RSS.
// Env: BENCH_CLIENTS (default 10000), BENCH_RATE (writes/s, default 100), BENCH_DURATION (s,
// default 10), BENCH_TRANSPORTS (default "sse,ws"), BENCH_BROADCAST_WRITES (default 5).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, rssMiB, waitHealthy } from './processes.ts';
import { openMany, openSse, openWs, type Sink, type Subscriber } from './realtime-clients.ts';
import { call } from './seed.ts';
import { envInt, percentile } from './stats.ts';
import { cleanupAll, prepareTarget, SUPERUSER } from './targets.ts';

const int = envInt;
const CLIENTS = int('BENCH_CLIENTS', 10_000);
const RATE = int('BENCH_RATE', 100);
const DURATION = int('BENCH_DURATION', 10);
const BROADCAST_WRITES = int('BENCH_BROADCAST_WRITES', 5);
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? 'sse,ws').split(',').map((s) => s.trim());
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const pct = percentile;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `sink` has `expected` events, or `ms` passed since the last arrival. */
async function drain(sink: Sink, expected: number, ms = 3000): Promise<void> {
  let last = sink.received;
  let since = Date.now();
  while (sink.received < expected && Date.now() - since < ms) {
    await sleep(20);
    if (sink.received !== last) {
      last = sink.received;
      since = Date.now();
    }
  }
}

interface Row {
  scenario: string;
  connectS: number;
  rssPer1000: number;
  p50: number;
  p99: number;
  delivered: string;
}

async function main(): Promise<void> {
  const target = await prepareTarget('sqlite', { superuser: true });
  const rows: Row[] = [];
  try {
    const server = await target.spawn();
    await waitHealthy(server, performance.now());
    const url = server.url;
    const su = await call(url, 'POST', '/api/collections/_superusers/auth-with-password', {
      identity: SUPERUSER.email,
      password: SUPERUSER.password,
    });
    const open = { listRule: '', viewRule: '', createRule: '', updateRule: '' };
    const fields = [
      { name: 'title', type: 'text' },
      { name: 'sentAt', type: 'number' },
    ];
    await call(url, 'POST', '/api/collections', { name: 'rt_items', ...open, fields }, su.token);
    const ids: string[] = new Array(CLIENTS);
    let n = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (n < CLIENTS) {
          const i = n++;
          ids[i] = (await call(url, 'POST', '/api/collections/rt_items/records', { title: `r${i}` })).id;
        }
      }),
    );
    log(`seeded ${CLIENTS} records`);
    const openers = { sse: openSse, ws: openWs } as const;
    for (const transport of TRANSPORTS as (keyof typeof openers)[]) {
      const opener = openers[transport];
      if (!opener) throw new Error(`unknown transport ${transport}`);
      // 1. one subscriber per record: each write reaches one client
      const sink: Sink = { latencies: [], received: 0 };
      await sleep(500);
      const rssBefore = rssMiB(server.pid);
      const t0 = performance.now();
      const subs: Subscriber[] = await openMany(CLIENTS, 64, (i) => opener(url, `rt_items/${ids[i]}`, sink));
      const connectS = (performance.now() - t0) / 1000;
      await sleep(1000);
      const rssPer1000 = (rssMiB(server.pid) - rssBefore) / (CLIENTS / 1000);
      log(`${transport}: ${CLIENTS} connected in ${connectS.toFixed(1)} s`);
      const writes = await steadyWrites(url, ids);
      await drain(sink, writes);
      rows.push({
        scenario: `${transport}: ${CLIENTS} clients, one record each, ${RATE} writes/s`,
        connectS,
        rssPer1000,
        p50: pct(sink.latencies, 50),
        p99: pct(sink.latencies, 99),
        delivered: `${sink.received}/${writes}`,
      });
      for (const s of subs) s.close();
      await sleep(1500);
      // 2. broadcast: every client on the whole collection, a few writes
      const fan: Sink = { latencies: [], received: 0 };
      const all = await openMany(CLIENTS, 64, () => opener(url, 'rt_items/*', fan));
      await sleep(500);
      for (let w = 0; w < BROADCAST_WRITES; w++) {
        const before = fan.received;
        await call(url, 'PATCH', `/api/collections/rt_items/records/${ids[w]}`, { sentAt: Date.now() });
        await drain(fan, before + CLIENTS, 5000);
      }
      rows.push({
        scenario: `${transport}: ${CLIENTS} clients on the collection, ${BROADCAST_WRITES} writes (fan-out)`,
        connectS: Number.NaN,
        rssPer1000: Number.NaN,
        p50: pct(fan.latencies, 50),
        p99: pct(fan.latencies, 99),
        delivered: `${fan.received}/${CLIENTS * BROADCAST_WRITES}`,
      });
      for (const s of all) s.close();
      await sleep(1500);
    }
  } finally {
    await target.cleanup();
  }
  const f = (x: number, d = 0) => (Number.isNaN(x) ? '–' : x.toFixed(d));
  const table = [
    '| scenario | connect all (s) | RSS per 1000 clients (MiB) | latency p50 (ms) | p99 (ms) | delivered |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${f(r.connectS, 1)} | ${f(r.rssPer1000, 1)} | ${f(r.p50)} | ${f(r.p99)} | ${r.delivered} |`,
    ),
    '',
    `Targets: p99 < 50 ms at 10k clients with 100 writes/s; RSS < 150 MiB extra for 10k clients. ${DURATION} s of writes.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  writeFileSync(join(import.meta.dirname, 'results', 'realtime.md'), `# bench:realtime\n\n${table}\n`);
}

/** PATCHes random records at RATE per second for DURATION seconds; returns how many. */
async function steadyWrites(url: string, ids: string[]): Promise<number> {
  const total = RATE * DURATION;
  const start = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let w = 0; w < total; w++) {
    const due = start + (w * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = ids[Math.floor(Math.random() * ids.length)];
    pending.push(call(url, 'PATCH', `/api/collections/rt_items/records/${id}`, { sentAt: Date.now() }));
  }
  await Promise.all(pending);
  return total;
}

process.on('SIGINT', () => {
  killAll();
  cleanupAll().finally(() => process.exit(130));
});
await main();
