import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { BlobNotFoundError, type BlobStore, checkKey } from '../../src/storage/blob-store.ts';
import { createFsBlobStore } from '../../src/storage/fs-blob-store.ts';
import { createS3BlobStore } from '../../src/storage/s3-blob-store.ts';
import { startTestS3, type TestS3 } from '../support/s3.ts';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

const PNG_1PX = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('storage keys', () => {
  test('keys that could leave the root are refused', () => {
    for (const bad of ['', '/abs', 'a/../b', '..', 'a//b', 'a/./b', 'a\\b', 'a/b c', 'a/%2e%2e', 'x/...']) {
      assert.throws(() => checkKey(bad), /invalid storage key/, bad);
    }
    assert.equal(checkKey('c1/r1/photo_abc.png'), 'c1/r1/photo_abc.png');
  });
});

type Backend = { name: string; open(): Promise<{ store: BlobStore; close(): Promise<void> }> };

const BACKENDS: Backend[] = [
  {
    name: 'filesystem',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'fb-blobs-'));
      return {
        store: createFsBlobStore(join(dir, 'storage')),
        close: async () => rmSync(dir, { recursive: true }),
      };
    },
  },
  {
    name: 's3',
    async open() {
      const s3: TestS3 = await startTestS3('blob-test');
      const store = createS3BlobStore({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        accessKey: 'S3RVER',
        secret: 'S3RVER',
        forcePathStyle: true,
      });
      return {
        store,
        close: async () => {
          await store.close();
          await s3.close();
        },
      };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`blob store (${backend.name})`, () => {
    let store: BlobStore;
    let close: () => Promise<void>;
    before(async () => {
      ({ store, close } = await backend.open());
    });
    after(() => close());

    test('put, stat, read, range read, list, move and delete', async () => {
      const n = await store.put('c1/r1/a.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]), {
        contentType: 'text/plain',
      });
      assert.equal(n, 11);
      const info = await store.stat('c1/r1/a.txt');
      assert.equal(info?.size, 11);
      assert.equal(info?.contentType, 'text/plain');
      assert.match(info?.etag ?? '', /^".+"$/);
      assert.equal(await text(await store.read('c1/r1/a.txt')), 'hello world');
      assert.equal(await text(await store.read('c1/r1/a.txt', { start: 6, end: 10 })), 'world');
      await store.put('c1/r1/b.png', Readable.from([PNG_1PX]), { contentType: 'image/png' });
      await store.put('c1/r2/c.txt', Readable.from([Buffer.from('x')]), { contentType: 'text/plain' });
      assert.deepEqual(await store.list('c1/r1/'), ['c1/r1/a.txt', 'c1/r1/b.png']);
      assert.equal((await store.stat('c1/r1/b.png'))?.contentType, 'image/png');
      await store.move('c1/r2/c.txt', 'c1/r3/c.txt');
      assert.deepEqual(await store.list('c1/'), ['c1/r1/a.txt', 'c1/r1/b.png', 'c1/r3/c.txt']);
      await store.delete('c1/r1/a.txt');
      await store.delete('c1/r1/missing.txt');
      assert.equal(await store.stat('c1/r1/a.txt'), undefined);
      await store.deletePrefix('c1/r1/');
      assert.deepEqual(await store.list(), ['c1/r3/c.txt']);
      await store.delete('c1/r3/c.txt');
    });

    test('reading or moving a missing blob is BlobNotFoundError', async () => {
      await assert.rejects(store.read('nope/x.txt'), BlobNotFoundError);
      await assert.rejects(store.move('nope/x.txt', 'nope/y.txt'), BlobNotFoundError);
    });

    test('a write that fails midway leaves nothing and keeps the old bytes', async () => {
      await store.put('w/keep.txt', Readable.from([Buffer.from('old')]), { contentType: 'text/plain' });
      async function* failing() {
        yield Buffer.alloc(6 * 1024 * 1024, 1);
        throw new Error('client went away');
      }
      await assert.rejects(
        store.put('w/keep.txt', Readable.from(failing()), { contentType: 'text/plain' }),
        /went away/,
      );
      await assert.rejects(
        store.put('w/new.txt', Readable.from(failing()), { contentType: 'text/plain' }),
        /went away/,
      );
      assert.equal(await text(await store.read('w/keep.txt')), 'old');
      assert.deepEqual(await store.list('w/'), ['w/keep.txt']);
      await store.delete('w/keep.txt');
    });

    test('large blobs stream in parts and read back whole', async () => {
      const part = Buffer.alloc(1024 * 1024, 7);
      const size = await store.put('big/blob.bin', Readable.from(Array.from({ length: 11 }, () => part)), {
        contentType: 'application/octet-stream',
      });
      assert.equal(size, 11 * 1024 * 1024);
      assert.equal((await store.stat('big/blob.bin'))?.size, 11 * 1024 * 1024);
      let read = 0;
      for await (const c of await store.read('big/blob.bin')) read += (c as Buffer).length;
      assert.equal(read, 11 * 1024 * 1024);
      await store.delete('big/blob.bin');
    });

    test('invalid keys are refused before touching the store', async () => {
      await assert.rejects(
        store.put('../escape.txt', Readable.from([Buffer.from('x')]), { contentType: 'text/plain' }),
        /invalid storage key/,
      );
      await assert.rejects(store.read('a/../../etc/passwd'), /invalid storage key/);
    });
  });
}

test('the filesystem store keeps temp files out of the listing and cleans them up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-blobs-'));
  const store = createFsBlobStore(join(dir, 'storage'));
  await store.put('a/b.txt', Readable.from([Buffer.from('x')]), { contentType: 'text/plain' });
  assert.deepEqual(await store.list(), ['a/b.txt']);
  assert.deepEqual(readdirSync(join(dir, 'storage', '.tmp')), []);
  rmSync(dir, { recursive: true });
});
