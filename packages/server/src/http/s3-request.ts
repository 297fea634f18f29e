import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.ts';
import { accessDenied, noSuchBucket, S3Error } from '../s3/s3-error.ts';
import type { S3KeyService } from '../s3/s3-keys.ts';
import { checkScope } from '../s3/s3-keys.ts';
import type { S3KeyRow } from '../s3/s3-store.ts';
import type { Bucket } from '../storage/bucket-model.ts';
import { AwsChunkedDecoder, crc32c, STREAMING_PAYLOADS } from '../tools/aws-chunked.ts';
import { SigV4Error, type SigV4Result, verifySigV4 } from '../tools/sigv4.ts';
import type { HttpDeps } from './deps.ts';

/** Who signed an /s3 request, and what its body's chunks chain from. */
export interface S3Caller {
  key: S3KeyRow;
  sig: SigV4Result;
}

const callers = new WeakMap<FastifyRequest, S3Caller>();

/** Keeps the verified caller of a request for its handler. */
export const rememberCaller = (req: FastifyRequest, c: S3Caller) => void callers.set(req, c);

/** The verified caller of an /s3 request (set by the context's onRequest hook). */
export function callerOf(req: FastifyRequest): S3Caller {
  const c = callers.get(req);
  if (!c) throw accessDenied();
  return c;
}

/** S3 acts for its access key: like a superuser, within the key's scope. */
export const S3_VIEWER = { superuser: true } as const;

/** The bucket an /s3 request names, after the key's scope check (NoSuchBucket when absent). */
export async function s3Bucket(
  deps: HttpDeps,
  req: FastifyRequest,
  name: string,
  write: boolean,
): Promise<Bucket> {
  checkScope(callerOf(req).key, name, write);
  try {
    return await deps.storage.bucketFor(name);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw noSuchBucket();
    throw e;
  }
}

const CREDENTIAL_RE = /Credential=([^/,\s]+)\//;
const QUERY_CREDENTIAL_RE = /(?:^|&)X-Amz-Credential=([^&]+)/;

/** The access key id a request names (header or presigned query), before verifying anything. */
function namedKeyId(req: FastifyRequest, query: string): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') return CREDENTIAL_RE.exec(auth)?.[1];
  const q = QUERY_CREDENTIAL_RE.exec(query)?.[1];
  if (!q) return undefined;
  try {
    return decodeURIComponent(q).split('/')[0];
  } catch {
    return undefined;
  }
}

/**
 * Verifies an /s3 request's SigV4 signature (any region, service `s3`) against the access
 * key it names. Unsigned requests are refused: the S3 API has no anonymous access.
 */
export async function authenticateS3(req: FastifyRequest, keys: S3KeyService): Promise<S3Caller> {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const query = q === -1 ? '' : url.slice(q + 1);
  const id = namedKeyId(req, query);
  if (!id) throw new S3Error(403, 'AccessDenied', 'Access Denied');
  const key = await keys.find(id);
  const sig = verifySigV4(
    { method: req.method, path: q === -1 ? url : url.slice(0, q), query, headers: req.headers },
    (given) => (key && given === key.accessKeyId ? key.secret : undefined),
  );
  if (!sig.scope.endsWith('/s3/aws4_request'))
    throw new SigV4Error('AuthorizationHeaderMalformed', 'The credential must be for the s3 service.', 400);
  return { key: key!, sig };
}

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

const META_NAME = /^[\w-]{1,128}$/;
const META_VALUE = /^[\x20-\x7e]*$/;
/** S3 user metadata allows 2 KB of names and values. */
const MAX_META = 2048;

/** S3 user metadata from `x-amz-meta-<name>` headers (names lower-case). */
export function userMetadata(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-meta-') || typeof value !== 'string') continue;
    const key = name.slice('x-amz-meta-'.length);
    size += key.length + value.length;
    if (!META_NAME.test(key) || !META_VALUE.test(value))
      throw new S3Error(400, 'InvalidArgument', `The metadata header "${name}" is not supported.`);
    if (size > MAX_META)
      throw new S3Error(
        400,
        'MetadataTooLarge',
        'Your metadata headers exceed the maximum allowed metadata size.',
      );
    out[key] = value;
  }
  return out;
}

/** The stored metadata that can go back out as `x-amz-meta-*` headers. */
export function metadataHeaders(metadata: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata))
    if (typeof v === 'string' && META_NAME.test(k) && META_VALUE.test(v)) out[`x-amz-meta-${k}`] = v;
  return out;
}
