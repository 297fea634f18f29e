import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AwsChunkedDecoder, STREAMING_PAYLOADS } from '../../src/tools/aws-chunked.ts';
import { type SignedRequest, SigV4Error, verifySigV4 } from '../../src/tools/sigv4.ts';

// AWS's published example (S3 API reference, "Signature calculations for the
// Authorization header: Transferring payload in a single chunk", GET object example)
const EXAMPLE_KEY = 'AKIAIOSFODNN7EXAMPLE';
const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const exampleGet = (overrides: Partial<SignedRequest['headers']> = {}): SignedRequest => ({
  method: 'GET',
  path: '/test.txt',
  query: '',
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    ...overrides,
  },
});
const EXAMPLE_NOW = new Date('2013-05-24T00:05:00Z');
const exampleSecret = (id: string) => (id === EXAMPLE_KEY ? EXAMPLE_SECRET : undefined);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SigV4Error) return e.code;
    throw e;
  }
  return 'ok';
}

describe('SigV4 verification against AWS examples', () => {
  test("AWS's example GET request verifies", () => {
    const result = verifySigV4(exampleGet(), exampleSecret, EXAMPLE_NOW);
    assert.equal(result.accessKeyId, EXAMPLE_KEY);
    assert.equal(result.scope, '20130524/us-east-1/s3/aws4_request');
  });

  test('a changed signed header, another key, a wrong secret or an old request fail with S3 codes', () => {
    assert.equal(
      code(() => verifySigV4(exampleGet({ range: 'bytes=0-10' }), exampleSecret, EXAMPLE_NOW)),
      'SignatureDoesNotMatch',
    );
    assert.equal(
      code(() => verifySigV4(exampleGet(), () => undefined, EXAMPLE_NOW)),
      'InvalidAccessKeyId',
    );
    assert.equal(
      code(() => verifySigV4(exampleGet(), () => 'other', EXAMPLE_NOW)),
      'SignatureDoesNotMatch',
    );
    assert.equal(
      code(() => verifySigV4(exampleGet(), exampleSecret, new Date('2013-05-24T01:00:00Z'))),
      'RequestTimeTooSkewed',
    );
    assert.equal(
      code(() =>
        verifySigV4(exampleGet({ authorization: 'AWS4-HMAC-SHA256 nonsense' }), exampleSecret, EXAMPLE_NOW),
      ),
      'AuthorizationHeaderMalformed',
    );
  });

  test("AWS's signed aws-chunked example decodes, and a changed byte is refused", async () => {
    // "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
    // Chunks": 65536 + 1024 bytes of 'a', seed signature and chunk signatures as published
    const seedReq: SignedRequest = {
      method: 'PUT',
      path: '/examplebucket/chunkObject.txt',
      query: '',
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      },
    };
    const seed = verifySigV4(seedReq, exampleSecret, EXAMPLE_NOW);
    const body = (chunk2: Buffer) =>
      Buffer.concat([
        Buffer.from(
          '10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n',
        ),
        Buffer.alloc(65536, 'a'),
        Buffer.from(
          '\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n',
        ),
        chunk2,
        Buffer.from(
          '\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n',
        ),
      ]);
    assert.equal(body(Buffer.alloc(1024, 'a')).length, 66824);
    const decode = async (bytes: Buffer) => {
      const decoder = new AwsChunkedDecoder({ seed, decodedLength: 66560 });
      const parts: Buffer[] = [];
      // feed in uneven pieces, as a socket would
      for (let i = 0; i < bytes.length; i += 7000) decoder.write(bytes.subarray(i, i + 7000));
      decoder.end();
      for await (const p of decoder) parts.push(p as Buffer);
      return Buffer.concat(parts);
    };
    const decoded = await decode(body(Buffer.alloc(1024, 'a')));
    assert.deepEqual(decoded, Buffer.alloc(66560, 'a'));
    const tampered = Buffer.alloc(1024, 'a');
    tampered[10] = 0x62;
    await assert.rejects(decode(body(tampered)), { code: 'SignatureDoesNotMatch' });
  });
});

describe('unsigned aws-chunked bodies', () => {
  const decode = async (text: string) => {
    const decoder = new AwsChunkedDecoder();
    decoder.end(Buffer.from(text));
    const parts: Buffer[] = [];
    for await (const p of decoder) parts.push(p as Buffer);
    return { body: Buffer.concat(parts).toString(), trailers: decoder.trailers };
  };

  test('chunks and a matching crc32 trailer decode; a wrong checksum or a cut body is refused', async () => {
    // crc32("hello world") = 0x0d4a1185
    const ok = await decode('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    assert.deepEqual(ok, { body: 'hello world', trailers: { 'x-amz-checksum-crc32': 'DUoRhQ==' } });
    await assert.rejects(decode('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n'), {
      code: 'BadDigest',
    });
    await assert.rejects(decode('5\r\nhel'), { code: 'IncompleteBody' });
    await assert.rejects(decode('zz\r\nhello\r\n'), { code: 'IncompleteBody' });
  });
});

/** A tiny S3 stand-in that stores objects in memory, to let the real AWS SDK sign requests. */
interface S3Peer {
  server: Server;
  url: string;
  objects: Map<string, Buffer>;
  /** The x-amz-content-sha256 of each PUT, to show which body encodings were exercised. */
  payloads: string[];
}

function startS3Peer(secret: string): Promise<S3Peer> {
  const objects = new Map<string, Buffer>();
  const peer = { objects, payloads: [] as string[] } as unknown as S3Peer;
  const server = createServer(async (req: IncomingMessage, res) => {
    const [path = '/', query = ''] = (req.url ?? '/').split(/\?(.*)/s);
    const fail = (status: number, c: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${c}</Code><Message>${c}</Message></Error>`,
      );
    };
    try {
      const result = verifySigV4({ method: req.method ?? 'GET', path, query, headers: req.headers }, (id) =>
        id === 'fbtestkey' ? secret : undefined,
      );
      if (req.method === 'PUT') {
        let source: Readable = req;
        peer.payloads.push(result.payloadHash);
        if (STREAMING_PAYLOADS.has(result.payloadHash)) {
          const decodedLength = Number(req.headers['x-amz-decoded-content-length']);
          const decoder = new AwsChunkedDecoder({
            ...(result.payloadHash.startsWith('STREAMING-AWS4') ? { seed: result } : {}),
            ...(Number.isFinite(decodedLength) ? { decodedLength } : {}),
          });
          source = req.pipe(decoder);
        }
        const parts: Buffer[] = [];
        for await (const p of source) parts.push(p as Buffer);
        objects.set(decodeURIComponent(path), Buffer.concat(parts));
        res.writeHead(200, { etag: '"x"' });
        return res.end();
      }
      const body = objects.get(decodeURIComponent(path));
      if (!body) return fail(404, 'NoSuchKey');
      res.writeHead(200, { 'content-length': body.length, etag: '"x"' });
      res.end(body);
    } catch (e) {
      if (e instanceof SigV4Error) return fail(e.status, e.code);
      fail(500, 'InternalError');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(
        Object.assign(peer, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
      ),
    ),
  );
}

describe('SigV4 verification of requests the AWS SDK signs', () => {
  const SECRET = 'fb-test-secret-0123456789';
  let peer: S3Peer;
  const client = (secret: string) =>
    new S3Client({
      endpoint: peer.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'fbtestkey', secretAccessKey: secret },
    });
  before(async () => {
    peer = await startS3Peer(SECRET);
  });
  after(() => new Promise<void>((r) => peer.server.close(() => r())));

  test('PutObject with a string body and with a stream (aws-chunked with a checksum trailer)', async () => {
    const s3 = client(SECRET);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dir/a b+c.txt', Body: 'hello world' }));
    assert.equal(peer.objects.get('/bkt/dir/a b+c.txt')?.toString(), 'hello world');
    const big = Buffer.alloc(200_000, 'z');
    await s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'stream.bin',
        Body: Readable.from([big.subarray(0, 70_000), big.subarray(70_000)]),
        ContentLength: big.length,
      }),
    );
    assert.deepEqual(peer.objects.get('/bkt/stream.bin'), big);
    // the string body is signed whole (its sha256), the stream goes aws-chunked with a crc32 trailer
    assert.equal(peer.payloads.length, 2);
    assert.match(peer.payloads[0]!, /^[0-9a-f]{64}$/);
    assert.equal(peer.payloads[1], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/a b+c.txt' }));
    assert.equal(await got.Body?.transformToString(), 'hello world');
  });

  test('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId', async () => {
    await assert.rejects(
      client('wrong').send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/a b+c.txt' })),
      {
        name: 'SignatureDoesNotMatch',
      },
    );
    const stranger = new S3Client({
      endpoint: peer.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'nobody', secretAccessKey: SECRET },
    });
    await assert.rejects(stranger.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'x' })), {
      name: 'InvalidAccessKeyId',
    });
  });

  test('a presigned GET URL works until it expires, and not with a changed key', async () => {
    peer.objects.set('/bkt/p.txt', Buffer.from('presigned'));
    const url = await getSignedUrl(client(SECRET), new GetObjectCommand({ Bucket: 'bkt', Key: 'p.txt' }), {
      expiresIn: 60,
    });
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'presigned');
    const other = await fetch(url.replace('/p.txt', '/q.txt'));
    assert.match(await other.text(), /SignatureDoesNotMatch/);
    const old = await getSignedUrl(client(SECRET), new GetObjectCommand({ Bucket: 'bkt', Key: 'p.txt' }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 10_000),
    });
    const expired = await fetch(old);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /AccessDenied/);
  });
});
