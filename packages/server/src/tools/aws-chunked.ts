import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  chunkStringToSign,
  EMPTY_SHA256,
  SigV4Error,
  type SigV4Result,
  trailerStringToSign,
} from './sigv4.ts';

/**
 * Decodes an `aws-chunked` request body (what S3 clients send with
 * `x-amz-content-sha256: STREAMING-…`): chunks `<hex size>[;chunk-signature=…]\r\n<data>\r\n`,
 * a zero-size last chunk, then optional trailing headers such as `x-amz-checksum-crc32`.
 * Signed chunks are verified as they pass, each chaining from the previous signature;
 * trailing checksums (crc32, crc32c, sha1, sha256) are checked against the decoded bytes.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export interface AwsChunkedOptions {
  /** For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: the verified seed request. */
  seed?: SigV4Result;
  /** `x-amz-decoded-content-length`, checked at the end when given. */
  decodedLength?: number;
}

/** The streaming payload hashes this decoder understands. */
export const STREAMING_PAYLOADS = new Set([
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
]);

const MAX_LINE = 4096;
const CRC32C_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `data`, continuing from `prev` (0 to start). */
export function crc32c(data: Buffer, prev: number): number {
  let c = ~prev;
  for (const byte of data) c = CRC32C_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
};

function bad(message: string): SigV4Error {
  return new SigV4Error('IncompleteBody', message, 400);
}

/** A Transform from an aws-chunked body to the object's bytes; `trailers` is filled at the end. */
export class AwsChunkedDecoder extends Transform {
  /** Trailing headers by lower-case name (e.g. `x-amz-checksum-crc32`), once the body ended. */
  readonly trailers: Record<string, string> = {};
  readonly #seed: SigV4Result | undefined;
  readonly #decodedLength: number | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  #remaining = 0;
  #chunkSignature = '';
  #previous: string;
  #chunkHash = createHash('sha256');
  #total = 0;
  #crc32 = 0;
  #crc32c = 0;
  #sha1 = createHash('sha1');
  #sha256 = createHash('sha256');
  #trailerLines: string[] = [];

  constructor(opts: AwsChunkedOptions = {}) {
    super();
    this.#seed = opts.seed;
    this.#decodedLength = opts.decodedLength;
    this.#previous = opts.seed?.signature ?? '';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#consume();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.#state !== 'done') throw bad('The aws-chunked body ended early.');
      if (this.#decodedLength !== undefined && this.#decodedLength !== this.#total)
        throw bad('The body is shorter or longer than x-amz-decoded-content-length.');
      this.#checkTrailers();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  /** Reads a `\r\n`-terminated line from the buffer, or undefined when incomplete. */
  #line(): string | undefined {
    const end = this.#buffer.indexOf('\r\n');
    if (end === -1) {
      if (this.#buffer.length > MAX_LINE) throw bad('An aws-chunked header line is too long.');
      return undefined;
    }
    const line = this.#buffer.subarray(0, end).toString('latin1');
    this.#buffer = this.#buffer.subarray(end + 2);
    return line;
  }

  #consume(): void {
    for (;;) {
      if (this.#state === 'size') {
        const line = this.#line();
        if (line === undefined) return;
        const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(line);
        if (!m) throw bad('An aws-chunked chunk header is malformed.');
        if (this.#seed && !m[2]) throw new SigV4Error('SignatureDoesNotMatch', 'A chunk has no signature.');
        this.#remaining = Number.parseInt(m[1]!, 16);
        this.#chunkSignature = m[2] ?? '';
        this.#chunkHash = createHash('sha256');
        if (this.#remaining === 0) {
          this.#verifyChunk(EMPTY_SHA256);
          this.#state = 'trailer';
        } else this.#state = 'data';
      } else if (this.#state === 'data') {
        if (this.#buffer.length === 0) return;
        const piece = this.#buffer.subarray(0, this.#remaining);
        this.#buffer = this.#buffer.subarray(piece.length);
        this.#remaining -= piece.length;
        this.#take(piece);
        if (this.#remaining === 0) this.#state = 'data-end';
      } else if (this.#state === 'data-end') {
        if (this.#buffer.length < 2) return;
        if (this.#buffer[0] !== 13 || this.#buffer[1] !== 10)
          throw bad('An aws-chunked chunk is not followed by CRLF.');
        this.#buffer = this.#buffer.subarray(2);
        this.#verifyChunk(this.#chunkHash.digest('hex'));
        this.#state = 'size';
      } else if (this.#state === 'trailer') {
        const line = this.#line();
        if (line === undefined) return;
        if (line === '') {
          this.#state = 'done';
          continue;
        }
        if (this.#trailerLines.length > 20) throw bad('Too many trailing headers.');
        this.#trailerLines.push(line);
      } else {
        if (this.#buffer.length > 0 && this.#buffer.toString('latin1').trim() !== '')
          throw bad('Unexpected bytes after the aws-chunked body.');
        this.#buffer = Buffer.alloc(0);
        return;
      }
    }
  }

  #take(piece: Buffer): void {
    this.#total += piece.length;
    if (this.#seed) this.#chunkHash.update(piece);
    this.#crc32 = crc32(piece, this.#crc32);
    this.#crc32c = crc32c(piece, this.#crc32c);
    this.#sha1.update(piece);
    this.#sha256.update(piece);
    this.push(piece);
  }

  #verifyChunk(dataSha256: string): void {
    if (!this.#seed) return;
    const expected = createHmac('sha256', this.#seed.signingKey)
      .update(chunkStringToSign(this.#seed, this.#previous, dataSha256))
      .digest('hex');
    if (!equal(expected, this.#chunkSignature))
      throw new SigV4Error('SignatureDoesNotMatch', 'A chunk signature does not match.');
    this.#previous = this.#chunkSignature;
  }

  #checkTrailers(): void {
    let signature: string | undefined;
    let signedText = '';
    for (const line of this.#trailerLines) {
      const colon = line.indexOf(':');
      if (colon < 1) throw bad('A trailing header is malformed.');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') signature = value;
      else {
        this.trailers[name] = value;
        signedText += `${name}:${value}\n`;
      }
    }
    if (this.#seed && this.#trailerLines.length > 0) {
      const hash = createHash('sha256').update(signedText).digest('hex');
      const expected = createHmac('sha256', this.#seed.signingKey)
        .update(trailerStringToSign(this.#seed, this.#previous, hash))
        .digest('hex');
      if (!signature || !equal(expected, signature))
        throw new SigV4Error('SignatureDoesNotMatch', 'The trailer signature does not match.');
    }
    const computed: Record<string, string> = {
      'x-amz-checksum-crc32': u32(this.#crc32),
      'x-amz-checksum-crc32c': u32(this.#crc32c),
      'x-amz-checksum-sha1': this.#sha1.digest('base64'),
      'x-amz-checksum-sha256': this.#sha256.digest('base64'),
    };
    for (const [name, value] of Object.entries(this.trailers)) {
      const mine = computed[name];
      if (mine !== undefined && mine !== value)
        throw new SigV4Error(
          'BadDigest',
          `The ${name.slice('x-amz-checksum-'.length)} checksum does not match.`,
          400,
        );
    }
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
