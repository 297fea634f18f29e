import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobInfo, BlobNotFoundError, type BlobStore, type ByteRange, checkKey } from './blob-store.ts';
import { SNIFF_BYTES, sniffContentType } from './sniff.ts';

const TEMP_DIR = '.tmp';

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * Blobs as files under `root` (`<dataDir>/storage`). A write goes to a temp file in
 * `root/.tmp` and is renamed into place, so readers see the old or the new bytes, never
 * a part. Content types are sniffed from the bytes when asked (no sidecar files).
 */
export function createFsBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));

  async function readHead(path: string): Promise<Buffer> {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async function walk(dir: string, out: string[]): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (dir === root && e.name === TEMP_DIR) continue;
        await walk(p, out);
      } else out.push(relative(root, p).split(sep).join('/'));
    }
  }

  return {
    async put(key, body: Readable) {
      const target = pathOf(key);
      const tmpDir = join(root, TEMP_DIR);
      await mkdir(tmpDir, { recursive: true });
      const tmp = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
      try {
        await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
        await mkdir(dirname(target), { recursive: true });
        const { size } = await stat(tmp);
        await rename(tmp, target);
        return size;
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },

    async stat(key): Promise<BlobInfo | undefined> {
      const path = pathOf(key);
      try {
        const s = await stat(path);
        if (!s.isFile()) return undefined;
        const contentType = await sniffContentType(await readHead(path), key);
        return {
          size: s.size,
          contentType,
          modified: s.mtime,
          etag: `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`,
        };
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },

    async read(key, range?: ByteRange) {
      const path = pathOf(key);
      // open first so a missing file is an error here, not on the stream
      const fh = await open(path, 'r').catch((e: unknown) => {
        throw isMissing(e) ? new BlobNotFoundError(key) : e;
      });
      return createReadStream('', { fd: fh, ...(range ? { start: range.start, end: range.end } : {}) });
    },

    async move(from, to) {
      const target = pathOf(to);
      await mkdir(dirname(target), { recursive: true });
      await rename(pathOf(from), target).catch((e: unknown) => {
        throw isMissing(e) ? new BlobNotFoundError(from) : e;
      });
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async deletePrefix(prefix) {
      if (!prefix.endsWith('/')) throw new Error('a prefix to delete must end with "/"');
      await rm(pathOf(prefix.slice(0, -1)), { recursive: true, force: true });
    },

    async close() {},

    async list(prefix = '') {
      const out: string[] = [];
      await walk(root, out);
      return out.filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
