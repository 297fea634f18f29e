import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const t0 = performance.now();
const { createApp } = await import('./app.ts');
const { loadConfig } = await import('./config.ts');
const t1 = performance.now();
const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cs-'));
const config = loadConfig(
  { dataDir: join(dir, 'fb_data'), http: '127.0.0.1:0', ...(process.argv[3] ? { db: process.argv[3] } : {}) },
  {},
  dir,
);
const app = await createApp(config, {});
const t2 = performance.now();
const url = await app.start();
const t3 = performance.now();
await fetch(`${url}/api/health`);
const t4 = performance.now();
console.error(
  `import ${(t1 - t0).toFixed(0)} create ${(t2 - t1).toFixed(0)} start ${(t3 - t2).toFixed(0)} first ${(t4 - t3).toFixed(0)}`,
);
await app.stop();
