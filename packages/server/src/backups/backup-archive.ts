// Backup archives: zip files written and read as streams (yazl / yauzl, no native code).
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type yauzl from 'yauzl';
import type { AddEntry, OpenEntry } from '../db/database.ts';

/** What a zip archive starts with: a local file header, or the end record of an empty one. */
const ZIP_MAGIC = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x05, 0x06])];
const MAGIC_LENGTH = 4;

// the zip libraries load with the first backup or restore, not at every start
const load = createRequire(import.meta.url);
const zipWriter = () => load('yazl') as typeof import('yazl');
const zipReader = () => load('yauzl') as typeof import('yauzl');

/**
 * Streams a zip archive whose entries `fill` adds one after another; each entry's stream
 * is read only as the archive is consumed, so memory stays flat whatever the size. When
 * `fill` fails, the archive stream fails with its error (the consumer drops the output).
 */
export function writeArchive(fill: (add: AddEntry) => Promise<void>): Readable {
  const zip = new (zipWriter().ZipFile)();
  const out = zip.outputStream as Readable;
  // when the consumer gives up (a failed upload), the entry being read is failed too, so
  // `fill` stops and releases what it holds (a PostgreSQL snapshot's connection)
  const reading = new Set<Readable>();
  let abandoned: Error | undefined;
  out.once('close', () => {
    if (out.readableEnded) return;
    abandoned = new Error('the backup archive was not written to the end');
    for (const body of reading) body.destroy(abandoned);
  });
  const add: AddEntry = async (name, body, opts = {}) => {
    if (abandoned) {
      body.destroy(abandoned);
      throw abandoned;
    }
    reading.add(body);
    try {
      zip.addReadStream(body, name, { compress: opts.compress ?? false, mtime: new Date() });
      await finished(body);
    } finally {
      reading.delete(body);
    }
  };
  fill(add).then(
    () => zip.end(),
    (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return out;
}

/** An archive opened for reading: entries by name, each streamed on demand. */
export interface ArchiveReader {
  names(): string[];
  open: OpenEntry;
  close(): void;
}

/** Opens a zip file (random access by entry name); throws when it is not a readable zip. */
export function readArchive(path: string): Promise<ArchiveReader> {
  return new Promise((resolve, reject) => {
    zipReader().open(path, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('not a zip archive'));
      const entries = new Map<string, yauzl.Entry>();
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.once('error', reject);
      zip.once('end', () =>
        resolve({
          names: () => [...entries.keys()],
          open: (name) => {
            const entry = entries.get(name);
            if (!entry) return Promise.resolve(undefined);
            return new Promise((res, rej) =>
              zip.openReadStream(entry, (e, stream) => (e || !stream ? rej(e) : res(stream))),
            );
          },
          close: () => zip.close(),
        }),
      );
      zip.readEntry();
    });
  });
}

/**
 * Passes a stream through, failing it when it does not start like a zip archive (an
 * uploaded backup is refused before it is kept).
 */
export async function* zipOnly(body: AsyncIterable<Buffer>, onInvalid: () => Error): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of body) {
    if (!checked) {
      head = Buffer.concat([head, chunk]);
      if (head.length < MAGIC_LENGTH) continue;
      const start = head.subarray(0, MAGIC_LENGTH);
      if (!ZIP_MAGIC.some((m) => m.equals(start))) throw onInvalid();
      checked = true;
      yield head;
      continue;
    }
    yield chunk;
  }
  if (!checked) throw onInvalid();
}
