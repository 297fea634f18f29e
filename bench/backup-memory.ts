// `node bench/backup-memory.ts`: memory of a backup of a large app (not part of npm test).
// Fills a fresh app with BENCH_BACKUP_MIB MiB (default 1024): half rows (text of 8 KiB each,
// written straight into the collection table), half files (1 MiB blobs in the blob store);
// then times one backup and prints the peak RSS sampled every 20 ms, against the RSS before.
// Env: BENCH_BACKUP_MIB, BENCH_BACKUP_DB (a postgres:// URL; default a SQLite file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createApp, loadConfig } from '../packages/server/src/app.ts';
import { createLogger } from '../packages/server/src/observability/logger.ts';

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.env.BENCH_BACKUP_MIB ?? 1024);
const ROW_BYTES = 8 * 1024;
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const rss = () => process.memoryUsage().rss / MIB;

const dir = mkdtempSync(join(tmpdir(), 'fb-bench-backup-'));
const silent = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const config = loadConfig(
  {
    dataDir: join(dir, 'fb_data'),
    migrationsDir: join(dir, 'fb_migrations'),
    ...(process.env.BENCH_BACKUP_DB ? { db: process.env.BENCH_BACKUP_DB } : {}),
  },
  {},
  dir,
);
const app = await createApp(config, { logger: silent });
try {
  await app.collections.create({ name: 'bench', type: 'base', fields: [{ name: 'body', type: 'text' }] });
  const rowCount = Math.ceil((TOTAL_MIB / 2) * (MIB / ROW_BYTES));
  const text = 'x'.repeat(ROW_BYTES - 64);
  log(`writing ${rowCount} rows of ${ROW_BYTES} bytes…`);
  for (let i = 0; i < rowCount; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, rowCount - i) }, (_, j) => ({
      id: String(i + j).padStart(15, '0'),
      body: `${i + j} ${text}`,
    }));
    await app.db.transaction((tx) => tx.run(app.db.qb.insertInto('bench').values(rows)));
  }
  const fileCount = Math.ceil(TOTAL_MIB / 2);
  log(`writing ${fileCount} files of 1 MiB…`);
  const block = Buffer.alloc(MIB);
  for (let i = 0; i < MIB; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  for (let i = 0; i < fileCount; i++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32LE(i, 0);
    await app.files.blobs.put(`bench/${i}.bin`, Readable.from([chunk]), {
      contentType: 'application/octet-stream',
    });
  }
  globalThis.gc?.();
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 20);
  const started = performance.now();
  const key = await app.backups.create('bench.zip');
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  const size = (await app.backups.list()).find((b) => b.key === key)?.size ?? 0;
  process.stdout.write(
    `backup of ${TOTAL_MIB} MiB (${config.db?.startsWith('postgres') ? 'postgres' : 'sqlite'}): ` +
      `${(size / MIB).toFixed(0)} MiB zip in ${seconds.toFixed(1)} s; RSS ${before.toFixed(0)} MiB before, ` +
      `peak ${peak.toFixed(0)} MiB (+${(peak - before).toFixed(0)} MiB)\n`,
  );
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
