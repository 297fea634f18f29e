import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readArchive, writeArchive } from '../../src/backups/backup-archive.ts';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

test('entries written one after another read back by name', async () => {
  const zip = await collect(
    writeArchive(async (add) => {
      await add('a.txt', Readable.from([Buffer.from('alpha')]), { compress: true });
      await add('dir/b.bin', Readable.from([Buffer.alloc(100_000, 7)]));
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'fb-zip-'));
  try {
    writeFileSync(join(dir, 'x.zip'), zip);
    const archive = await readArchive(join(dir, 'x.zip'));
    assert.deepEqual(archive.names().sort(), ['a.txt', 'dir/b.bin']);
    assert.equal((await collect((await archive.open('a.txt'))!)).toString(), 'alpha');
    assert.deepEqual(await collect((await archive.open('dir/b.bin'))!), Buffer.alloc(100_000, 7));
    assert.equal(await archive.open('missing'), undefined);
    archive.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a consumer that gives up fails the entry being read, so the writer stops', async () => {
  let entryDestroyed = false;
  let fillFailed: unknown;
  const endless = new Readable({
    read() {
      this.push(Buffer.alloc(64 * 1024));
    },
    destroy(err, cb) {
      entryDestroyed = true;
      cb(err);
    },
  });
  const filled = new Promise<void>((resolve) => {
    const out = writeArchive(async (add) => {
      try {
        await add('endless.bin', endless);
      } catch (e) {
        fillFailed = e;
        resolve();
        throw e;
      }
    });
    out.once('data', () => out.destroy(new Error('upload failed')));
    out.on('error', () => {});
  });
  await filled;
  assert.equal(entryDestroyed, true);
  assert.match(String(fillFailed), /not written to the end/);
});
