import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { S3Error } from '../s3/s3-error.ts';
import { AwsChunkedDecoder, crc32c, STREAMING_PAYLOADS } from '../tools/aws-chunked.ts';
import type { S3Caller } from './s3-request.ts';

/** An incremental checksum whose result is compared as text. */
interface Hasher {
  update(chunk: Buffer): void;
  digest(): string;
}

const hashOf = (algorithm: string, encoding: 'hex' | 'base64'): Hasher => {
  const h = createHash(algorithm);
  return { update: (c) => void h.update(c), digest: () => h.digest(encoding) };
};

const crcOf = (fn: (data: Buffer, prev: number) => number): Hasher => {
  let value = 0;
  return {
    update: (c) => {
      value = fn(c, value);
    },
    digest: () => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(value >>> 0);
      return b.toString('base64');
    },
  };
};

/** `x-amz-checksum-*` request headers and how to compute them (base64, as S3 sends them). */
const HEADER_CHECKSUMS: Record<string, () => Hasher> = {
  'x-amz-checksum-crc32': () => crcOf(crc32),
  'x-amz-checksum-crc32c': () => crcOf(crc32c),
  'x-amz-checksum-sha1': () => hashOf('sha1', 'base64'),
  'x-amz-checksum-sha256': () => hashOf('sha256', 'base64'),
};

/** Fails the stream at its end when the checksum of what passed differs from `expected`. */
class DigestCheck extends Transform {
  readonly #hasher: Hasher;
  readonly #expected: string;
  readonly #error: () => Error;
  constructor(hasher: Hasher, expected: string, error: () => Error) {
    super();
    this.#hasher = hasher;
    this.#expected = expected;
    this.#error = error;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hasher.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    done(this.#hasher.digest() === this.#expected ? null : this.#error());
  }
}

function chain(source: Readable, next: Transform): Transform {
  source.on('error', (e) => next.destroy(e));
  return source.pipe(next);
}

/**
 * The bytes of a write request, streamed: aws-chunked bodies decoded (chunk signatures and
 * trailing checksums checked), a signed payload's SHA-256 and a Content-MD5 checked at the
 * end (the upload then fails before its row is written).
 */
export function s3Body(req: FastifyRequest, caller: S3Caller): Readable {
  const decode = checkedBody(req, caller);
  // the checks start when the consumer first reads, so their errors always reach it
  return Readable.from(
    (async function* () {
      yield* decode();
    })(),
    { objectMode: false },
  );
}

function checkedBody(req: FastifyRequest, caller: S3Caller): () => Readable {
  const steps: (() => Transform)[] = [];
  const hash = caller.sig.payloadHash;
  if (STREAMING_PAYLOADS.has(hash)) {
    const decoded = Number(req.headers['x-amz-decoded-content-length']);
    steps.push(
      () =>
        new AwsChunkedDecoder({
          ...(hash.startsWith('STREAMING-AWS4') ? { seed: caller.sig } : {}),
          ...(Number.isInteger(decoded) && decoded >= 0 ? { decodedLength: decoded } : {}),
        }),
    );
  } else if (/^[0-9a-f]{64}$/.test(hash)) {
    steps.push(
      () =>
        new DigestCheck(
          hashOf('sha256', 'hex'),
          hash,
          () =>
            new S3Error(
              400,
              'XAmzContentSHA256Mismatch',
              "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ),
        ),
    );
  } else if (hash !== 'UNSIGNED-PAYLOAD')
    throw new S3Error(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256.',
    );
  const md5 = req.headers['content-md5'];
  if (typeof md5 === 'string') {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()))
      throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
    steps.push(
      () =>
        new DigestCheck(
          hashOf('md5', 'base64'),
          md5.trim(),
          () =>
            new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.'),
        ),
    );
  }
  // checksums sent as headers (with aws-chunked bodies they come as trailers instead)
  for (const [name, hasher] of Object.entries(HEADER_CHECKSUMS)) {
    const expected = req.headers[name];
    if (typeof expected !== 'string') continue;
    steps.push(
      () =>
        new DigestCheck(
          hasher(),
          expected.trim(),
          () =>
            new S3Error(
              400,
              'BadDigest',
              `The ${name.slice(15)} you specified did not match the calculated checksum.`,
            ),
        ),
    );
  }
  return () => steps.reduce<Readable>((body, step) => chain(body, step()), req.raw);
}

/** Reads a small request body (an XML document) up to `max` bytes. */
export async function smallBody(body: Readable, max = 2 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) throw new S3Error(400, 'MaxMessageLengthExceeded', 'Your request was too big.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
