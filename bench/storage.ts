// `npm run bench:storage`: storage throughput and memory on ForgeBase/SQLite. Uploads and
// downloads a 100 MiB object through /api/storage/object/... (MiB/s and the server's RSS
// growth, sampled from /proc/<pid>/status), then times thumbnails of a 12-megapixel JPEG
// (record files, ?thumb=100x100) and an image transform (/api/storage/render/image/...),
// cold and cached. Prints a markdown table and writes it to bench/results/storage.md.
// Env: BENCH_STORAGE_MIB (object size, default 100).
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { killAll, rssMiB, sampleRss, waitHealthy } from './processes.ts';
import { cleanupAll, prepareTarget, SUPERUSER } from './targets.ts';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_STORAGE_MIB ?? 100);
const CACHED_RUNS = 5;
const TUS_CHUNK_MIB = 25;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function call(url: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = token;
  const res = await fetch(url + path, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** `SIZE_MIB` MiB of incompressible bytes, made on the fly (one random MiB, varied per chunk). */
function bigBody(): Readable {
  const block = Buffer.alloc(MIB);
  for (let i = 0; i < MIB; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  return Readable.from(
    (function* () {
      for (let i = 0; i < SIZE_MIB; i++) {
        const chunk = Buffer.from(block);
        chunk.writeUInt32LE(i, 0);
        yield chunk;
      }
    })(),
  );
}

/** Streams `body` as a raw upload with node:http (no buffering on the client side either). */
function upload(url: string, path: string, body: Readable, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/octet-stream' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    pipeline(body, req).catch(reject);
  });
}

/** Downloads `path`, counting the bytes; resolves with the count. */
function download(url: string, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url + path, { headers: { authorization: token } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${path} -> ${res.statusCode}`));
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
      });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Milliseconds of one GET answered 200 (the body read to the end). */
async function timedGet(url: string, path: string, token: string): Promise<number> {
  const start = performance.now();
  const res = await fetch(url + path, { headers: { authorization: token } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${path} -> ${res.status}`);
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Cold (first) and cached (median of the next runs) times of a GET. */
async function coldAndCached(url: string, path: string, token: string) {
  const cold = await timedGet(url, path, token);
  const cached: number[] = [];
  for (let i = 0; i < CACHED_RUNS; i++) cached.push(await timedGet(url, path, token));
  return { cold, cached: median(cached) };
}

async function main(): Promise<void> {
  const target = await prepareTarget('sqlite', { superuser: true });
  try {
    const server = await target.spawn();
    await waitHealthy(server, performance.now());
    const { url } = server;
    const su = await call(url, 'POST', '/api/collections/_superusers/auth-with-password', {
      identity: SUPERUSER.email,
      password: SUPERUSER.password,
    });
    const token: string = su.token;
    await call(url, 'POST', '/api/storage/buckets', { name: 'bench', createRule: '', viewRule: '' }, token);

    // warm-up: the first upload and download load code lazily (type sniffing); not measured
    const warm = Readable.from([Buffer.alloc(MIB, 7)]);
    if ((await upload(url, '/api/storage/object/bench/warm.bin', warm, token)) !== 200)
      throw new Error('warm-up');
    await download(url, '/api/storage/object/bench/warm.bin', token);

    log(`uploading ${SIZE_MIB} MiB…`);
    const idleUp = rssMiB(server.pid);
    let rss = sampleRss(server.pid, 20);
    let start = performance.now();
    const status = await upload(url, '/api/storage/object/bench/big.bin', bigBody(), token);
    const upMs = performance.now() - start;
    const peakUp = rss.stop();
    if (status !== 200) throw new Error(`upload -> ${status}`);

    log('downloading…');
    const idleDown = rssMiB(server.pid);
    rss = sampleRss(server.pid, 20);
    start = performance.now();
    const got = await download(url, '/api/storage/object/bench/big.bin', token);
    const downMs = performance.now() - start;
    const peakDown = rss.stop();
    if (got !== SIZE_MIB * MIB) throw new Error(`downloaded ${got} bytes`);

    log(`tus upload of ${SIZE_MIB} MiB…`);
    const data = Buffer.concat(await bigBody().toArray());
    const idleTus = rssMiB(server.pid);
    rss = sampleRss(server.pid, 20);
    start = performance.now();
    await new Promise<void>((resolve, reject) => {
      new tus.Upload(data, {
        endpoint: `${url}/api/storage/upload/resumable`,
        chunkSize: TUS_CHUNK_MIB * MIB,
        headers: { Authorization: token },
        metadata: { bucketName: 'bench', objectName: 'tus.bin' },
        onError: reject,
        onSuccess: () => resolve(),
      }).start();
    });
    const tusMs = performance.now() - start;
    const peakTus = rss.stop();

    log('making a 12-megapixel JPEG…');
    const jpeg = await sharp({
      create: {
        width: 4000,
        height: 3000,
        channels: 3,
        background: '#4080c0',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg({ quality: 85 })
      .toBuffer();
    await call(
      url,
      'POST',
      '/api/collections',
      {
        name: 'photos',
        type: 'base',
        viewRule: '',
        fields: [{ name: 'image', type: 'file', maxSelect: 1, maxSize: 64 * MIB, thumbs: ['100x100'] }],
      },
      token,
    );
    const form = new FormData();
    form.append('image', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg');
    const created = await fetch(`${url}/api/collections/photos/records`, {
      method: 'POST',
      headers: { authorization: token },
      body: form,
    });
    const record = (await created.json()) as { id: string; image: string };
    if (created.status !== 200)
      throw new Error(`record create -> ${created.status}: ${JSON.stringify(record)}`);
    log('thumbs…');
    const thumb = await coldAndCached(
      url,
      `/api/files/photos/${record.id}/${record.image}?thumb=100x100`,
      token,
    );
    const put = await upload(url, '/api/storage/object/bench/photo.jpg', Readable.from([jpeg]), token);
    if (put !== 200) throw new Error(`photo upload -> ${put}`);
    const render = await coldAndCached(
      url,
      '/api/storage/render/image/bench/photo.jpg?width=100&height=100',
      token,
    );

    const f1 = (n: number) => n.toFixed(1);
    const lines = [
      `# Storage benchmark (ForgeBase on SQLite, filesystem blobs, loopback)`,
      '',
      `${new Date().toISOString()}, Node ${process.version}, ${SIZE_MIB} MiB object; JPEG ${f1(jpeg.length / MIB)} MiB (4000×3000).`,
      '',
      '| measurement | result | server RSS before → peak (growth) |',
      '| --- | --- | --- |',
      `| upload ${SIZE_MIB} MiB (POST /api/storage/object/…) | ${f1((SIZE_MIB * 1000) / upMs)} MiB/s (${f1(upMs / 1000)} s) | ${f1(idleUp)} → ${f1(peakUp)} MiB (+${f1(peakUp - idleUp)}) |`,
      `| download ${SIZE_MIB} MiB (GET /api/storage/object/…) | ${f1((SIZE_MIB * 1000) / downMs)} MiB/s (${f1(downMs / 1000)} s) | ${f1(idleDown)} → ${f1(peakDown)} MiB (+${f1(peakDown - idleDown)}) |`,
      `| tus upload ${SIZE_MIB} MiB (tus-js-client, ${TUS_CHUNK_MIB} MiB PATCHes, then assembled) | ${f1((SIZE_MIB * 1000) / tusMs)} MiB/s (${f1(tusMs / 1000)} s) | ${f1(idleTus)} → ${f1(peakTus)} MiB (+${f1(peakTus - idleTus)}) |`,
      `| record file thumb 100x100 of a 12 MP JPEG, cold | ${f1(thumb.cold)} ms | |`,
      `| record file thumb 100x100, cached (median of ${CACHED_RUNS}) | ${f1(thumb.cached)} ms | |`,
      `| render/image 100x100 of a 12 MP JPEG, cold | ${f1(render.cold)} ms | |`,
      `| render/image 100x100, cached (median of ${CACHED_RUNS}) | ${f1(render.cached)} ms | |`,
      '',
      'Target: RSS grows by less than 50 MiB while a 100 MiB object streams through (after a 1 MiB warm-up upload and download, so lazily loaded code is not counted).',
      '',
    ];
    const md = lines.join('\n');
    process.stdout.write(md);
    writeFileSync(join(import.meta.dirname, 'results', 'storage.md'), md);
  } finally {
    await target.cleanup();
  }
}

process.on('SIGINT', () => {
  killAll();
  cleanupAll().finally(() => process.exit(130));
});
main().catch(async (e) => {
  log(String(e?.stack ?? e));
  await cleanupAll();
  killAll();
  process.exit(1);
});
