// `npm run bench:databases`: statements per second over HTTP, 50 connections, for point
// reads and single-row inserts on a tenant database (Hrana over HTTP, a database token), next
// to a bare Fastify endpoint running the same statement on node:sqlite (same file settings),
// in the same run. (sqld, libSQL's server, is not installable from the registries here.)
// The scenarios run in BENCH_ROUNDS interleaved rounds (ForgeBase and bare alternate, the
// order flipping each round), so a shared machine's changing load hits both alike; the rates
// are the total over the rounds, the latencies the median of the rounds'.
// Env: BENCH_DURATION (s per scenario and round, default 5), BENCH_ROUNDS (default 3),
// BENCH_CONNECTIONS (default 50), BENCH_ROWS (seeded rows, default 10000).
// Run with `--bare --http host:port --file path` it is the bare endpoint itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonResult } from 'autocannon';
import Fastify from 'fastify';
import { freePort, killAll, spawnServer, waitHealthy } from './processes.ts';
import { call } from './seed.ts';
import { cleanupAll, prepareTarget, SUPERUSER } from './targets.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const READ = 'SELECT id, name, score FROM kv WHERE id = ?';
const INSERT = 'INSERT INTO kv (name, score) VALUES (?, ?)';
const SCHEMA = 'CREATE TABLE kv (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL NOT NULL)';
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** The bare endpoint: POST /sql `{sql, args}` runs the (cached) statement on one node:sqlite connection. */
async function bare(http: string, file: string): Promise<void> {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON');
  db.exec(SCHEMA);
  const seed = db.prepare('INSERT INTO kv (id, name, score) VALUES (?, ?, ?)');
  db.exec('BEGIN');
  for (let i = 1; i <= ROWS; i++) seed.run(i, `name-${i}`, i / 2);
  db.exec('COMMIT');
  const cache = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  const app = Fastify({ logger: false });
  app.get('/api/health', async () => ({ code: 200 }));
  app.post<{ Body: { sql: string; args: unknown[] } }>('/sql', async (req) => {
    let stmt = cache.get(req.body.sql);
    if (!stmt) {
      stmt = db.prepare(req.body.sql);
      cache.set(req.body.sql, stmt);
    }
    if (stmt.columns().length) return { rows: stmt.all(...(req.body.args as [])) };
    const r = stmt.run(...(req.body.args as []));
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  });
  const [host, port] = http.split(':');
  await app.listen({ host, port: Number(port) });
}

/** A Hrana pipeline body: one execute, then close (what @libsql/client sends for `execute`). */
function pipeline(sql: string, args: unknown[]): string {
  const value = (v: unknown) =>
    typeof v === 'number' && Number.isInteger(v)
      ? { type: 'integer', value: String(v) }
      : typeof v === 'number'
        ? { type: 'float', value: v }
        : { type: 'text', value: String(v) };
  return JSON.stringify({
    baton: null,
    requests: [{ type: 'execute', stmt: { sql, args: args.map(value) } }, { type: 'close' }],
  });
}

function load(url: string, path: string, headers: Record<string, string>, body: (n: number) => string) {
  let n = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest: (r) => ({ ...r, body: body(n++) }),
      },
    ],
  });
}

async function main(): Promise<void> {
  const target = await prepareTarget('sqlite', { superuser: true });
  const bareDir = mkdtempSync(join(tmpdir(), 'fb-bench-bare-'));
  try {
    const server = await target.spawn();
    await waitHealthy(server, performance.now());
    const su = await call(server.url, 'POST', '/api/collections/_superusers/auth-with-password', {
      identity: SUPERUSER.email,
      password: SUPERUSER.password,
    });
    await call(server.url, 'POST', '/api/databases', { name: 'bench' }, su.token);
    const { token } = await call(server.url, 'POST', '/api/databases/bench/tokens', {}, su.token);
    const hrana = async (sql: string, args: unknown[] = []) => {
      const res = await fetch(`${server.url}/api/databases/bench/v2/pipeline`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: pipeline(sql, args),
      });
      const body = (await res.json()) as { results: { type: string; error?: unknown }[] };
      if (body.results[0]?.type !== 'ok') throw new Error(JSON.stringify(body.results[0]));
    };
    await hrana(SCHEMA);
    await hrana(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT ${ROWS}) INSERT INTO kv (id, name, score) SELECT i, 'name-' || i, i / 2.0 FROM n`,
    );
    const port = await freePort();
    const baseline = spawnServer(
      fileURLToPath(import.meta.url),
      ['--bare', '--http', `127.0.0.1:${port}`, '--file', join(bareDir, 'bare.db')],
      bareDir,
      port,
    );
    await waitHealthy(baseline, performance.now());

    const id = (n: number) => (n % ROWS) + 1;
    const auth = { authorization: `Bearer ${token}` };
    const fbPath = '/api/databases/bench/v2/pipeline';
    const scenarios: [string, () => PromiseLike<AutocannonResult>][] = [
      ['point read, ForgeBase (Hrana)', () => load(server.url, fbPath, auth, (n) => pipeline(READ, [id(n)]))],
      [
        'point read, bare Fastify + node:sqlite',
        () => load(baseline.url, '/sql', {}, (n) => JSON.stringify({ sql: READ, args: [id(n)] })),
      ],
      [
        'insert, ForgeBase (Hrana)',
        () => load(server.url, fbPath, auth, (n) => pipeline(INSERT, [`new-${n}`, n + 0.5])),
      ],
      [
        'insert, bare Fastify + node:sqlite',
        () =>
          load(baseline.url, '/sql', {}, (n) => JSON.stringify({ sql: INSERT, args: [`new-${n}`, n + 0.5] })),
      ],
    ];
    const runs: AutocannonResult[][] = scenarios.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const pair of [
        [0, 1],
        [2, 3],
      ]) {
        for (const i of round % 2 ? [...pair].reverse() : pair) {
          log(`round ${round + 1}/${ROUNDS}: ${scenarios[i!]![0]}…`);
          runs[i!]!.push(await scenarios[i!]![1]());
        }
      }
    }
    await baseline.stop();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = (rs: AutocannonResult[]) =>
      rs.reduce((n, r) => n + r.requests.total, 0) / rs.reduce((n, r) => n + r.duration, 0);
    const failed = (rs: AutocannonResult[]) => rs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    const row = (i: number, ratio?: number) => {
      const rs = runs[i]!;
      return `| ${scenarios[i]![0]} | ${rate(rs).toFixed(0)} | ${median(rs.map((r) => r.latency.p50))} | ${median(rs.map((r) => r.latency.p99))} | ${failed(rs)} | ${ratio === undefined ? '' : `${(ratio * 100).toFixed(0)} %`} |`;
    };
    const table = [
      `| scenario (${CONNECTIONS} connections, ${ROUNDS} × ${DURATION} s) | statements/s | p50 ms | p99 ms | failed | of bare |`,
      '|---|--:|--:|--:|--:|--:|',
      row(0, rate(runs[0]!) / rate(runs[1]!)),
      row(1),
      row(2, rate(runs[2]!) / rate(runs[3]!)),
      row(3),
      '',
      'Target: ForgeBase ≥ 70 % of the bare endpoint. One statement per HTTP request (execute + close).',
    ].join('\n');
    process.stdout.write(`${table}\n`);
  } finally {
    await target.cleanup();
    rmSync(bareDir, { recursive: true, force: true });
  }
}

const argv = process.argv;
if (argv.includes('--bare')) {
  await bare(argv[argv.indexOf('--http') + 1]!, argv[argv.indexOf('--file') + 1]!);
} else {
  process.on('SIGINT', () => {
    killAll();
    cleanupAll().finally(() => process.exit(130));
  });
  await main();
}
