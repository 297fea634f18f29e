import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createS3Key, s3Client, s3Failure } from '../support/s3-client.ts';
import { getBytes, sendBytes } from '../support/storage-api.ts';

const md5 = (b: Buffer | string) => `"${createHash('md5').update(b).digest('hex')}"`;

for (const dialect of DIALECTS) {
  describe(`S3-compatible API: buckets and objects (${dialect})`, () => {
    let t: TestApp;
    let s3: S3Client;
    before(async () => {
      t = await startTestApp(dialect);
      s3 = s3Client(t, await createS3Key(t, { name: 'all' }));
      await s3.send(new CreateBucketCommand({ Bucket: 'docs' }));
    });
    after(async () => {
      s3.destroy();
      await t.close();
    });

    test('PutObject, GetObject, HeadObject round-trip bytes and ETags', async () => {
      const body = 'hello from the AWS SDK';
      const put = await s3.send(
        new PutObjectCommand({ Bucket: 'docs', Key: 'a/hello.txt', Body: body, ContentType: 'text/plain' }),
      );
      assert.equal(put.ETag, md5(body));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'a/hello.txt' }));
      assert.equal(await got.Body!.transformToString(), body);
      assert.equal(got.ETag, md5(body));
      assert.equal(got.ContentLength, body.length);
      assert.equal(got.ContentType, 'text/plain');
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'a/hello.txt' }));
      assert.equal(head.ContentLength, body.length);
      assert.equal(head.ETag, md5(body));
      assert.ok(head.LastModified instanceof Date);
    });

    test('a streamed body of unknown length (aws-chunked) and a Content-MD5 are checked', async () => {
      const bytes = Buffer.alloc(300_000, 7);
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: 'docs',
          Key: 'stream.bin',
          Body: Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]),
          ContentLength: bytes.length,
        }),
      );
      assert.equal(put.ETag, md5(bytes));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'stream.bin' }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), bytes);
      const wrongMd5 = createHash('md5').update('other').digest('base64');
      assert.deepEqual(
        await s3Failure(
          s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'md5.txt', Body: 'x', ContentMD5: wrongMd5 })),
        ),
        { code: 'BadDigest', status: 400 },
      );
      assert.deepEqual(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'md5.txt' }))), {
        code: 'NotFound',
        status: 404,
      });
    });

    test('x-amz-checksum-* headers are checked (crc32, crc32c, sha1, sha256)', async () => {
      for (const ChecksumAlgorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
        const put = await s3.send(
          new PutObjectCommand({
            Bucket: 'docs',
            Key: `sum-${ChecksumAlgorithm}.txt`,
            Body: 'summed',
            ChecksumAlgorithm,
          }),
        );
        assert.equal(put.ETag, md5('summed'));
      }
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'docs', Key: 'sum-bad.txt' }), {
        expiresIn: 60,
      });
      const zeros = Buffer.alloc(4).toString('base64');
      const bad = await fetch(url, {
        method: 'PUT',
        body: 'summed',
        headers: { 'x-amz-checksum-crc32': zeros },
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /<Code>BadDigest<\/Code>/);
      const good = await fetch(url, {
        method: 'PUT',
        body: 'summed',
        headers: { 'x-amz-checksum-sha1': createHash('sha1').update('summed').digest('base64') },
      });
      assert.equal(good.status, 200);
    });

    test('user metadata (x-amz-meta-*) is stored, returned, copied, and seen by /api/storage', async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'docs',
          Key: 'meta.txt',
          Body: 'm',
          Metadata: { mtime: '1700000000', Owner: 'me' },
        }),
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'meta.txt' }));
      assert.deepEqual(head.Metadata, { mtime: '1700000000', owner: 'me' });
      await s3.send(
        new CopyObjectCommand({ Bucket: 'docs', Key: 'meta-copy.txt', CopySource: 'docs/meta.txt' }),
      );
      const copied = await s3.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'meta-copy.txt' }));
      assert.deepEqual(copied.Metadata, { mtime: '1700000000', owner: 'me' });
      await s3.send(
        new CopyObjectCommand({
          Bucket: 'docs',
          Key: 'meta-copy.txt',
          CopySource: 'docs/meta.txt',
          MetadataDirective: 'REPLACE',
          Metadata: { other: 'x' },
        }),
      );
      const replaced = await s3.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'meta-copy.txt' }));
      assert.deepEqual(replaced.Metadata, { other: 'x' });
      const info = await t.request('GET', '/api/storage/object/info/docs/meta.txt', { token: 'superuser' });
      assert.deepEqual(info.body.metadata, { mtime: '1700000000', owner: 'me' });
      assert.deepEqual(
        await s3Failure(
          s3.send(
            new PutObjectCommand({
              Bucket: 'docs',
              Key: 'big-meta.txt',
              Body: 'm',
              Metadata: { a: 'x'.repeat(2100) },
            }),
          ),
        ),
        { code: 'MetadataTooLarge', status: 400 },
      );
    });

    test('Range GET answers 206 with Content-Range; a range past the end is 416 InvalidRange', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'digits.txt', Body: '0123456789' }));
      const part = await s3.send(
        new GetObjectCommand({ Bucket: 'docs', Key: 'digits.txt', Range: 'bytes=2-5' }),
      );
      assert.equal(part.$metadata.httpStatusCode, 206);
      assert.equal(part.ContentRange, 'bytes 2-5/10');
      assert.equal(await part.Body!.transformToString(), '2345');
      assert.deepEqual(
        await s3Failure(
          s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits.txt', Range: 'bytes=20-30' })),
        ),
        { code: 'InvalidRange', status: 416 },
      );
      assert.deepEqual(
        await s3Failure(
          s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits.txt', IfMatch: '"nope"' })),
        ),
        { code: 'PreconditionFailed', status: 412 },
      );
      const etag = md5('0123456789');
      const notModified = await s3Failure(
        s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits.txt', IfNoneMatch: etag })),
      );
      assert.equal(notModified.status, 304);
    });

    test('missing keys and buckets are NoSuchKey and NoSuchBucket', async () => {
      assert.deepEqual(await s3Failure(s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'nope.txt' }))), {
        code: 'NoSuchKey',
        status: 404,
      });
      assert.deepEqual(await s3Failure(s3.send(new GetObjectCommand({ Bucket: 'nobucket', Key: 'x' }))), {
        code: 'NoSuchBucket',
        status: 404,
      });
      assert.deepEqual(await s3Failure(s3.send(new HeadBucketCommand({ Bucket: 'nobucket' }))), {
        code: 'NotFound',
        status: 404,
      });
      const head = await s3.send(new HeadBucketCommand({ Bucket: 'docs' }));
      assert.equal(head.$metadata.httpStatusCode, 200);
    });

    test('ListObjectsV2 pages with prefix, delimiter and continuation tokens; v1 lists too', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
      const names = ['a.txt', 'b/1.txt', 'b/2.txt', 'c.txt', 'd/x/y.txt', 'e.txt', 'sp ace+é.txt'];
      for (const Key of names) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }));
      const all = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
      assert.deepEqual(
        all.Contents!.map((c) => c.Key),
        names,
      );
      assert.equal(all.KeyCount, names.length);
      assert.equal(all.IsTruncated, false);
      assert.equal(all.Contents![0]!.ETag, md5('a.txt'));
      assert.equal(all.Contents![0]!.Size, 5);
      const folders = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
      assert.deepEqual(
        folders.Contents!.map((c) => c.Key),
        ['a.txt', 'c.txt', 'e.txt', 'sp ace+é.txt'],
      );
      assert.deepEqual(
        folders.CommonPrefixes!.map((p) => p.Prefix),
        ['b/', 'd/'],
      );
      const inB = await s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'b/', Delimiter: '/' }),
      );
      assert.deepEqual(
        inB.Contents!.map((c) => c.Key),
        ['b/1.txt', 'b/2.txt'],
      );
      // pages of 2 entries (objects and prefixes count alike)
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: 'listing',
            Delimiter: '/',
            MaxKeys: 2,
            ContinuationToken: token,
          }),
        );
        pages++;
        assert.ok((page.KeyCount ?? 0) <= 2);
        seen.push(
          ...(page.Contents ?? []).map((c) => c.Key!),
          ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!),
        );
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      assert.deepEqual(seen.sort(), ['a.txt', 'b/', 'c.txt', 'd/', 'e.txt', 'sp ace+é.txt']);
      assert.equal(pages, 3);
      const startAfter = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'c.txt' }));
      assert.deepEqual(
        startAfter.Contents!.map((c) => c.Key),
        ['d/x/y.txt', 'e.txt', 'sp ace+é.txt'],
      );
      const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Marker: 'b/2.txt', MaxKeys: 2 }));
      assert.deepEqual(
        v1.Contents!.map((c) => c.Key),
        ['c.txt', 'd/x/y.txt'],
      );
      assert.equal(v1.IsTruncated, true);
    });

    test('DeleteObject, DeleteObjects (quiet or not), CopyObject', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'orig.txt', Body: 'original' }));
      const copy = await s3.send(
        new CopyObjectCommand({ Bucket: 'docs', Key: 'copy of.txt', CopySource: 'docs/orig.txt' }),
      );
      assert.equal(copy.CopyObjectResult!.ETag, md5('original'));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'copy of.txt' }));
      assert.equal(await got.Body!.transformToString(), 'original');
      const del = await s3.send(
        new DeleteObjectsCommand({
          Bucket: 'docs',
          Delete: { Objects: [{ Key: 'orig.txt' }, { Key: 'never-there' }] },
        }),
      );
      assert.deepEqual(
        del.Deleted!.map((d) => d.Key),
        ['orig.txt', 'never-there'],
      );
      const quiet = await s3.send(
        new DeleteObjectsCommand({
          Bucket: 'docs',
          Delete: { Objects: [{ Key: 'copy of.txt' }], Quiet: true },
        }),
      );
      assert.equal(quiet.Deleted, undefined);
      assert.equal(
        (await s3.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'digits.txt' }))).$metadata
          .httpStatusCode,
        204,
      );
      const left = await s3.send(new ListObjectsV2Command({ Bucket: 'docs' }));
      assert.equal(
        left.Contents?.some((c) => ['orig.txt', 'copy of.txt', 'digits.txt'].includes(c.Key!)),
        false,
      );
    });

    test('ListBuckets, CreateBucket and DeleteBucket (BucketNotEmpty while it has objects)', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'temp-bucket' }));
      assert.deepEqual(await s3Failure(s3.send(new CreateBucketCommand({ Bucket: 'temp-bucket' }))), {
        code: 'BucketAlreadyOwnedByYou',
        status: 409,
      });
      assert.deepEqual(await s3Failure(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))), {
        code: 'InvalidBucketName',
        status: 400,
      });
      const list = await s3.send(new ListBucketsCommand({}));
      assert.ok(list.Buckets!.some((b) => b.Name === 'temp-bucket' && b.CreationDate instanceof Date));
      await s3.send(new PutObjectCommand({ Bucket: 'temp-bucket', Key: 'x', Body: 'x' }));
      assert.deepEqual(await s3Failure(s3.send(new DeleteBucketCommand({ Bucket: 'temp-bucket' }))), {
        code: 'BucketNotEmpty',
        status: 409,
      });
      await s3.send(new DeleteObjectCommand({ Bucket: 'temp-bucket', Key: 'x' }));
      await s3.send(new DeleteBucketCommand({ Bucket: 'temp-bucket' }));
      const after = await s3.send(new ListBucketsCommand({}));
      assert.equal(
        after.Buckets!.some((b) => b.Name === 'temp-bucket'),
        false,
      );
    });

    test('objects written through /s3 are visible through /api/storage and the other way round', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'shared/from-s3.txt', Body: 'via s3' }));
      const dl = await getBytes(t, '/api/storage/object/docs/shared/from-s3.txt', { token: 'superuser' });
      assert.equal(dl.status, 200);
      assert.equal(dl.bytes.toString(), 'via s3');
      const up = await sendBytes(t, 'POST', '/api/storage/object/docs/shared/from-api.txt', 'via api', {
        token: 'superuser',
        contentType: 'text/plain',
      });
      assert.equal(up.status, 200);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'shared/from-api.txt' }));
      assert.equal(await got.Body!.transformToString(), 'via api');
      assert.equal(got.ETag, md5('via api'));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'docs', Prefix: 'shared/' }));
      assert.deepEqual(
        listed.Contents!.map((c) => c.Key),
        ['shared/from-api.txt', 'shared/from-s3.txt'],
      );
    });
  });
}
