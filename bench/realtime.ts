// `npm run bench:realtime`: fan-out of record changes to many realtime subscribers, in one process.
// Env: BENCH_SUBSCRIBERS (default 10000), BENCH_SOCKETS (WebSocket connections carrying them,
// default 200), BENCH_WRITES (default 50), BENCH_DB (a postgres:// URL; default SQLite in a temp dir),
// BENCH_RULE (the collection's listRule, default "" = public; e.g. "public = true" costs one
// SQL check per subscriber group).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createApp, loadConfig } from '../packages/server/src/app.ts';
import { createLogger } from '../packages/server/src/observability/logger.ts';

const int = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};
const SUBSCRIBERS = int('BENCH_SUBSCRIBERS', 10_000);
const SOCKETS = Math.min(int('BENCH_SOCKETS', 200), SUBSCRIBERS);
const WRITES = int('BENCH_WRITES', 50);
const RULE = process.env.BENCH_RULE ?? '';
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

const dir = mkdtempSync(join(tmpdir(), 'fb-bench-rt-'));
const silent = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const config = loadConfig(
  {
    http: '127.0.0.1:0',
    dataDir: join(dir, 'fb_data'),
    migrationsDir: join(dir, 'fb_migrations'),
    logRequests: false,
    ...(process.env.BENCH_DB ? { db: process.env.BENCH_DB } : {}),
  },
  {},
  dir,
);
const app = await createApp(config, { logger: silent });
const url = await app.start();
const su = { superuser: true };
await app.collections.create({
  name: 'bench_items',
  type: 'base',
  listRule: RULE,
  viewRule: RULE,
  fields: [
    { name: 'title', type: 'text' },
    { name: 'public', type: 'bool' },
  ],
});

// each socket carries SUBSCRIBERS / SOCKETS subscriptions with distinct topic strings
let received = 0;
let onEvent = () => {};
const sockets: WebSocket[] = [];
for (let s = 0; s < SOCKETS; s++) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('message', (data) => {
    if (JSON.parse(data.toString()).type === 'event') {
      received++;
      onEvent();
    }
  });
  const per = Math.floor(SUBSCRIBERS / SOCKETS) + (s < SUBSCRIBERS % SOCKETS ? 1 : 0);
  for (let i = 0; i < per; i++) {
    const options = encodeURIComponent(JSON.stringify({ query: { s: String(s), i: String(i) } }));
    ws.send(JSON.stringify({ type: 'subscribe', id: String(i), topic: `bench_items?options=${options}` }));
  }
  sockets.push(ws);
}
while (app.realtime.metrics().subscriptions < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 20));
log(
  `${SUBSCRIBERS} subscribers on ${SOCKETS} WebSockets (${app.db.dialect}, listRule ${JSON.stringify(RULE)})`,
);

const latencies: number[] = [];
const started = performance.now();
for (let w = 0; w < WRITES; w++) {
  const target = received + SUBSCRIBERS;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    onEvent = () => {
      if (received >= target) resolve();
    };
  });
  await app.records.create('bench_items', { title: `w${w}`, public: true }, su);
  await done;
  latencies.push(performance.now() - t0);
}
const seconds = (performance.now() - started) / 1000;
const m = app.realtime.metrics();
console.log(
  JSON.stringify(
    {
      dialect: app.db.dialect,
      subscribers: SUBSCRIBERS,
      sockets: SOCKETS,
      writes: WRITES,
      rule: RULE,
      fanoutMs: {
        p50: +pct(latencies, 50).toFixed(1),
        p99: +pct(latencies, 99).toFixed(1),
        max: +Math.max(...latencies).toFixed(1),
      },
      eventsPerSecond: Math.round((WRITES * SUBSCRIBERS) / seconds),
      delivered: m.eventsDelivered,
      dropped: m.eventsDropped,
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    },
    null,
    2,
  ),
);
for (const ws of sockets) ws.terminate();
await app.stop();
rmSync(dir, { recursive: true, force: true });
