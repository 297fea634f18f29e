import type { Readable } from 'node:stream';

/** What a backend knows about a stored blob. */
export interface BlobInfo {
  size: number;
  /** The content type given at write time (or sniffed, for the filesystem). */
  contentType: string;
  modified: Date;
  /** A strong validator for caching (quoted, as sent in the ETag header). */
  etag: string;
}

/** An inclusive byte range of a blob. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where file bytes live: the local filesystem or an S3-compatible bucket. Keys are
 * `/`-separated relative paths checked by `checkKey` (no `..`, no absolute paths).
 * Writes are all-or-nothing: a reader never sees a half-written blob.
 */
export interface BlobStore {
  /** Streams `body` into `key` (replacing it); returns the number of bytes written. */
  put(key: string, body: Readable, opts: { contentType: string }): Promise<number>;
  /** The blob's metadata, or undefined when it does not exist. */
  stat(key: string): Promise<BlobInfo | undefined>;
  /** Streams the blob, or one byte range of it; throws BlobNotFoundError when absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Renames a blob (a server-side copy + delete on S3). */
  move(from: string, to: string): Promise<void>;
  /** Deletes a blob; deleting a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every blob whose key starts with `prefix` (which must end with `/`). */
  deletePrefix(prefix: string): Promise<void>;
  /** Every key under `prefix`, sorted (for cleanup and tests). */
  list(prefix?: string): Promise<string[]>;
  /** Releases connections (the app is stopping). */
  close(): Promise<void>;
}

/** Thrown by `read` and `move` for a key that holds nothing. */
export class BlobNotFoundError extends Error {
  constructor(key: string) {
    super(`blob not found: ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

const SEGMENT_RE = /^[\w.=+-]+$/;

/**
 * Refuses keys that could leave the store's root: empty or dot-only segments, anything
 * but letters, digits and `_ . = + -`, or more than 1024 characters.
 */
export function checkKey(key: string): string {
  if (!isValidKey(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  return key;
}

/** True when `key` would pass checkKey. */
export function isValidKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.length <= 1024 &&
    key.split('/').every((s) => SEGMENT_RE.test(s) && s !== '.' && s !== '..' && !/^\.+$/.test(s))
  );
}
