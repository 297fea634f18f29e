// `npm run bench:transfer`: a round trip of BENCH_TRANSFER_ROWS records (default 1,000,000)
// through `forgebase import` and `forgebase export` (not part of npm test). Writes an NDJSON
// file, imports it, exports CSV, imports that CSV into a second database and exports it
// again: both CSV exports must be byte-equal. Prints rows/s and the peak RSS of each command
// (sampled from /proc every 50 ms), next to the RSS of a command with nothing to do.
// Env: BENCH_TRANSFER_ROWS, BENCH_TRANSFER_DB (a postgres:// URL: the run uses the schemas
// bench_a and bench_b in it, which must not exist yet; default two SQLite files).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.env.BENCH_TRANSFER_ROWS ?? 1_000_000);
const MAIN = fileURLToPath(new URL('../packages/server/src/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fb-bench-transfer-'));
const log = (msg: string) => process.stderr.write(`${msg}\n`);

function target(name: string): string[] {
  const pg = process.env.BENCH_TRANSFER_DB;
  const db = pg ? `${pg}${pg.includes('?') ? '&' : '?'}schema=bench_${name}` : join(dir, `${name}.db`);
  return ['--dir', join(dir, `data_${name}`), '--db', db];
}

/** Runs `forgebase args`, sampling its RSS; resolves with seconds and peak MiB. */
function run(args: string[]): Promise<{ seconds: number; peakMiB: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let peak = 0;
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setInterval(() => {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      peak = Math.max(peak, Number(kb ?? 0) / 1024);
    } catch {
      // the process has just ended
    }
  }, 50);
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`forgebase ${args.join(' ')} failed (${code}): ${stderr}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peakMiB: peak });
    }),
  );
}

async function fileHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

try {
  const collections = join(dir, 'collections.json');
  writeFileSync(
    collections,
    JSON.stringify([
      {
        name: 'posts',
        type: 'base',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'n', type: 'number' },
          { name: 'ok', type: 'bool' },
          { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
          { name: 'meta', type: 'json' },
        ],
      },
    ]),
  );
  for (const name of ['a', 'b']) await run([...target(name), 'collections', 'import', collections]);
  const idle = await run([...target('a'), 'collections', 'list']);

  log(`writing ${ROWS} rows…`);
  const ndjson = join(dir, 'rows.ndjson');
  const out = createWriteStream(ndjson);
  for (let i = 0; i < ROWS; i++) {
    const row = {
      title: `post ${i}, "quoted"`,
      n: i,
      ok: i % 2 === 0,
      tags: ['a', 'c'],
      meta: { i, s: 'x\ny' },
    };
    if (!out.write(`${JSON.stringify(row)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(resolve));

  const steps: [string, string[]][] = [
    ['import NDJSON into a', [...target('a'), 'import', 'posts', ndjson]],
    ['export a as CSV', [...target('a'), 'export', 'posts', join(dir, 'a.csv')]],
    ['import CSV into b', [...target('b'), 'import', 'posts', join(dir, 'a.csv')]],
    ['export b as CSV', [...target('b'), 'export', 'posts', join(dir, 'b.csv')]],
  ];
  const rows: string[] = [];
  for (const [label, args] of steps) {
    log(`${label}…`);
    const r = await run(args);
    rows.push(
      `| ${label.padEnd(22)} | ${r.seconds.toFixed(1).padStart(7)} | ${Math.round(ROWS / r.seconds)
        .toString()
        .padStart(8)} | ${r.peakMiB.toFixed(0).padStart(8)} |`,
    );
  }
  const same = (await fileHash(join(dir, 'a.csv'))) === (await fileHash(join(dir, 'b.csv')));
  process.stdout.write(
    [
      `records transfer, ${ROWS} rows, ${process.env.BENCH_TRANSFER_DB ? 'PostgreSQL' : 'SQLite'}`,
      `(a command with nothing to do: peak RSS ${idle.peakMiB.toFixed(0)} MiB)`,
      '',
      '| step                   | seconds |   rows/s | peak MiB |',
      '| ---------------------- | ------: | -------: | -------: |',
      ...rows,
      '',
      `round trip: the two CSV exports are ${same ? 'byte-equal' : 'DIFFERENT'}`,
      '',
    ].join('\n'),
  );
  if (!same) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
