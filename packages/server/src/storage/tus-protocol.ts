import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { ApiError, BadRequestError } from '../errors/api-error.ts';
import { errors } from '../errors/codes.ts';

/** The tus protocol version spoken (sent as Tus-Resumable and Tus-Version). */
export const TUS_VERSION = '1.0.0';
/** The tus extensions supported. */
export const TUS_EXTENSIONS = 'creation,creation-with-upload,termination,checksum,expiration';
/** Algorithms accepted in Upload-Checksum. */
export const TUS_CHECKSUMS = ['sha1', 'md5', 'sha256'] as const;

/**
 * Parses Upload-Metadata (`key base64value,key2,...`) into decoded strings; a key
 * without a value is ''.
 */
export function parseUploadMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || !/^[A-Za-z0-9_.~-]+$/.test(key) || key in out)
      throw new BadRequestError('Invalid Upload-Metadata header.');
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
      throw new BadRequestError(`Invalid base64 value in Upload-Metadata for "${key}".`);
    out[key] = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  }
  return out;
}

/** A non-negative integer header (Upload-Length, Upload-Offset), or a 400. */
export function parseSizeHeader(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new BadRequestError(`Missing or invalid ${name} header.`);
  return Number(value);
}

/** A parsed Upload-Checksum header: the algorithm and the expected digest. */
export interface ExpectedChecksum {
  algorithm: (typeof TUS_CHECKSUMS)[number];
  digest: Buffer;
}

/** Parses Upload-Checksum (`<algorithm> <base64 digest>`); 400 for unsupported algorithms. */
export function parseChecksum(header: string | undefined): ExpectedChecksum | undefined {
  if (header === undefined) return undefined;
  const [algorithm, digest] = header.trim().split(' ');
  if (!TUS_CHECKSUMS.includes(algorithm as ExpectedChecksum['algorithm']) || !digest)
    throw new BadRequestError('Unsupported or invalid Upload-Checksum.');
  return { algorithm: algorithm as ExpectedChecksum['algorithm'], digest: Buffer.from(digest, 'base64') };
}

/** A 460: the chunk's bytes did not match its Upload-Checksum (the chunk was discarded). */
export class ChecksumMismatchError extends ApiError {
  constructor() {
    super(460, 'The chunk does not match its Upload-Checksum; it was discarded.');
  }
}

/**
 * The bytes of one PATCH on their way to a chunk blob: counted (failing with 413 past the
 * upload's length), hashed for Upload-Checksum, and ended cleanly when the client goes
 * away, so the bytes that did arrive are kept (`aborted` tells).
 */
export class ChunkReceiver extends Transform {
  size = 0;
  aborted = false;
  readonly #max: number;
  readonly #hash: Hash | undefined;
  readonly #onData: () => void;

  constructor(max: number, algorithm: string | undefined, onData: () => void) {
    super();
    this.#max = max;
    this.#hash = algorithm ? createHash(algorithm) : undefined;
    this.#onData = onData;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.#max) {
      done(errors.payloadTooLarge('The chunk goes past the upload length.'));
      return;
    }
    this.#hash?.update(chunk);
    this.#onData();
    done(null, chunk);
  }

  /** Whether the received bytes match the expected checksum. */
  matches(expected: ExpectedChecksum): boolean {
    return !this.aborted && this.#hash !== undefined && this.#hash.digest().equals(expected.digest);
  }

  /**
   * Feeds `source` in; a source that closes early (a dropped connection) or sends nothing
   * for `idleMs` (a half-open one) ends this stream, keeping what arrived.
   */
  from(source: Readable, idleMs: number): this {
    // the consumer attaches after an await: until then an error (413) stays on the stream
    this.on('error', () => {});
    source.pipe(this);
    const early = () => {
      clearTimeout(idle);
      if (source.readableEnded || this.writableEnded) return;
      this.aborted = true;
      source.unpipe(this);
      this.end();
    };
    const idle = setTimeout(() => {
      early();
      source.destroy();
    }, idleMs);
    source.on('data', () => idle.refresh());
    source.on('end', () => clearTimeout(idle));
    source.on('error', early);
    source.on('close', early);
    return this;
  }
}
