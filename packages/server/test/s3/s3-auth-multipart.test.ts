import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { type CreatedS3Key, createS3Key, s3Client, s3Failure } from '../support/s3-client.ts';

const MiB = 1024 * 1024;
const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

for (const dialect of DIALECTS) {
  describe(`S3-compatible API: signatures, scopes, presigned URLs, multipart (${dialect})`, () => {
    let t: TestApp;
    let key: CreatedS3Key;
    let s3: S3Client;
    before(async () => {
      t = await startTestApp(dialect);
      key = await createS3Key(t);
      s3 = s3Client(t, key);
      await s3.send(new CreateBucketCommand({ Bucket: 'media' }));
      await s3.send(new CreateBucketCommand({ Bucket: 'secret' }));
    });
    after(async () => {
      s3.destroy();
      await t.close();
    });

    test('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId, no signature AccessDenied', async () => {
      const wrong = s3Client(t, { accessKeyId: key.accessKeyId, secretAccessKey: 'not-the-secret' });
      assert.deepEqual(await s3Failure(wrong.send(new ListBucketsCommand({}))), {
        code: 'SignatureDoesNotMatch',
        status: 403,
      });
      const unknown = s3Client(t, { accessKeyId: 'FBUNKNOWNUNKNOWN0000', secretAccessKey: 'x' });
      assert.deepEqual(await s3Failure(unknown.send(new ListBucketsCommand({}))), {
        code: 'InvalidAccessKeyId',
        status: 403,
      });
      const anonymous = await fetch(`${t.url}/s3/media/x.txt`);
      assert.equal(anonymous.status, 403);
      assert.equal(anonymous.headers.get('content-type'), 'application/xml');
      const xml = await anonymous.text();
      assert.match(
        xml,
        /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><Resource>\/s3\/media\/x.txt<\/Resource><RequestId>[^<]+<\/RequestId><\/Error>$/,
      );
      // a deleted key stops working at once
      const gone = await createS3Key(t);
      const goneClient = s3Client(t, gone);
      assert.equal((await goneClient.send(new ListBucketsCommand({}))).$metadata.httpStatusCode, 200);
      assert.equal(
        (await t.request('DELETE', `/api/storage/s3-keys/${gone.id}`, { token: 'superuser' })).status,
        204,
      );
      assert.deepEqual(await s3Failure(goneClient.send(new ListBucketsCommand({}))), {
        code: 'InvalidAccessKeyId',
        status: 403,
      });
      for (const c of [wrong, unknown, goneClient]) c.destroy();
    });

    test('a scoped key sees only its buckets; a read-only key cannot write', async () => {
      const scoped = s3Client(t, await createS3Key(t, { buckets: ['media'] }));
      await scoped.send(new PutObjectCommand({ Bucket: 'media', Key: 'scoped.txt', Body: 'ok' }));
      assert.deepEqual(
        await s3Failure(scoped.send(new PutObjectCommand({ Bucket: 'secret', Key: 'x', Body: 'no' }))),
        {
          code: 'AccessDenied',
          status: 403,
        },
      );
      assert.deepEqual(await s3Failure(scoped.send(new ListObjectsV2Command({ Bucket: 'secret' }))), {
        code: 'AccessDenied',
        status: 403,
      });
      const buckets = await scoped.send(new ListBucketsCommand({}));
      assert.deepEqual(
        buckets.Buckets!.map((b) => b.Name),
        ['media'],
      );
      const reader = s3Client(t, await createS3Key(t, { readOnly: true }));
      const got = await reader.send(new GetObjectCommand({ Bucket: 'media', Key: 'scoped.txt' }));
      assert.equal(await got.Body!.transformToString(), 'ok');
      assert.deepEqual(
        await s3Failure(reader.send(new PutObjectCommand({ Bucket: 'media', Key: 'r.txt', Body: 'no' }))),
        {
          code: 'AccessDenied',
          status: 403,
        },
      );
      scoped.destroy();
      reader.destroy();
    });

    test('presigned GET and PUT URLs work with plain fetch; a changed or expired URL does not', async () => {
      const putUrl = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: 'media', Key: 'pre/signed file.txt' }),
        {
          expiresIn: 60,
        },
      );
      const put = await fetch(putUrl, { method: 'PUT', body: 'uploaded with a presigned URL' });
      assert.equal(put.status, 200, await put.clone().text());
      assert.equal(put.headers.get('etag'), `"${md5hex('uploaded with a presigned URL')}"`);
      const getUrl = await getSignedUrl(
        s3,
        new GetObjectCommand({ Bucket: 'media', Key: 'pre/signed file.txt' }),
        {
          expiresIn: 60,
        },
      );
      const get = await fetch(getUrl);
      assert.equal(get.status, 200);
      assert.equal(await get.text(), 'uploaded with a presigned URL');
      const ranged = await fetch(getUrl, { headers: { range: 'bytes=0-7' } });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), 'uploaded');
      const tampered = await fetch(getUrl.replace('signed%20file', 'signed%20filf'));
      assert.equal(tampered.status, 403);
      assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      const old = await getSignedUrl(
        s3,
        new GetObjectCommand({ Bucket: 'media', Key: 'pre/signed file.txt' }),
        {
          expiresIn: 1,
          signingDate: new Date(Date.now() - 60_000),
        },
      );
      const expired = await fetch(old);
      assert.equal(expired.status, 403);
      assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    });

    test('a multipart upload of 3 × 5 MiB parts assembles in order, with the multipart ETag', async () => {
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB)];
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: 'media',
          Key: 'big/video.bin',
          ContentType: 'video/mp4',
          Metadata: { camera: 'front' },
        }),
      );
      assert.ok(UploadId);
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'media' }));
      assert.deepEqual(
        uploads.Uploads!.map((u) => [u.Key, u.UploadId]),
        [['big/video.bin', UploadId]],
      );
      // upload out of order: the part numbers decide
      const etags: string[] = [];
      for (const n of [3, 1, 2]) {
        const res: UploadPartCommandOutput = await s3.send(
          new UploadPartCommand({
            Bucket: 'media',
            Key: 'big/video.bin',
            UploadId,
            PartNumber: n,
            Body: parts[n - 1],
          }),
        );
        assert.equal(res.ETag, `"${md5hex(parts[n - 1]!)}"`);
        etags[n - 1] = res.ETag!;
      }
      const listed = await s3.send(new ListPartsCommand({ Bucket: 'media', Key: 'big/video.bin', UploadId }));
      assert.deepEqual(
        listed.Parts!.map((p) => [p.PartNumber, p.Size, p.ETag]),
        [1, 2, 3].map((n) => [n, 5 * MiB, etags[n - 1]]),
      );
      const wrongEtag = await s3Failure(
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'media',
            Key: 'big/video.bin',
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] },
          }),
        ),
      );
      assert.deepEqual(wrongEtag, { code: 'InvalidPart', status: 400 });
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'media',
          Key: 'big/video.bin',
          UploadId,
          MultipartUpload: { Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: etags[n - 1] })) },
        }),
      );
      const expected = `"${createHash('md5')
        .update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))
        .digest('hex')}-3"`;
      assert.equal(done.ETag, expected);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'media', Key: 'big/video.bin' }));
      assert.equal(got.ContentLength, 15 * MiB);
      assert.equal(got.ETag, expected);
      assert.deepEqual(got.Metadata, { camera: 'front' });
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.equal(md5hex(bytes), md5hex(Buffer.concat(parts)));
      // the upload and its part blobs are gone
      assert.deepEqual(
        await s3Failure(s3.send(new ListPartsCommand({ Bucket: 'media', Key: 'big/video.bin', UploadId }))),
        {
          code: 'NoSuchUpload',
          status: 404,
        },
      );
      assert.deepEqual(
        (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'media' }))).Uploads ?? [],
        [],
      );
      const bucket = await t.app.storage.bucketFor('media');
      assert.deepEqual(await t.app.files.blobs.list(`_buckets/${bucket.id}/_mp/`), []);
    });

    test('presigned GET honours response-* overrides; objects are served sandboxed', async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'media',
          Key: 'page.html',
          Body: '<script>1</script>',
          ContentType: 'text/html',
        }),
      );
      const url = await getSignedUrl(
        s3,
        new GetObjectCommand({
          Bucket: 'media',
          Key: 'page.html',
          ResponseContentDisposition: 'attachment; filename="page.html"',
          ResponseContentType: 'text/plain',
        }),
        { expiresIn: 60 },
      );
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="page.html"');
      assert.equal(res.headers.get('content-type'), 'text/plain');
      assert.match(res.headers.get('content-security-policy') ?? '', /sandbox/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    });

    test('deleting a bucket drops its unfinished multipart uploads', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: 'short-lived', Key: 'x.bin' }),
      );
      await s3.send(
        new UploadPartCommand({ Bucket: 'short-lived', Key: 'x.bin', UploadId, PartNumber: 1, Body: 'part' }),
      );
      const bucket = await t.app.storage.bucketFor('short-lived');
      assert.equal((await t.app.files.blobs.list(`_buckets/${bucket.id}/_mp/`)).length, 1);
      await s3.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
      assert.deepEqual(await t.app.files.blobs.list(`_buckets/${bucket.id}/_mp/`), []);
      const rows = await t.app.db.all(
        t.app.db.qb.selectFrom('_s3_uploads').selectAll().where('bucket', '=', bucket.id),
      );
      assert.deepEqual(rows, []);
    });

    test('parts under 5 MiB (but the last) are EntityTooSmall; an aborted upload is NoSuchUpload', async () => {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: 'media', Key: 'small.bin' }),
      );
      const e1 = await s3.send(
        new UploadPartCommand({ Bucket: 'media', Key: 'small.bin', UploadId, PartNumber: 1, Body: 'tiny' }),
      );
      const e2 = await s3.send(
        new UploadPartCommand({ Bucket: 'media', Key: 'small.bin', UploadId, PartNumber: 2, Body: 'last' }),
      );
      const complete = (parts: { PartNumber: number; ETag: string }[]) =>
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'media',
            Key: 'small.bin',
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      assert.deepEqual(
        await s3Failure(
          complete([
            { PartNumber: 1, ETag: e1.ETag! },
            { PartNumber: 2, ETag: e2.ETag! },
          ]),
        ),
        { code: 'EntityTooSmall', status: 400 },
      );
      assert.deepEqual(
        await s3Failure(
          complete([
            { PartNumber: 2, ETag: e2.ETag! },
            { PartNumber: 1, ETag: e1.ETag! },
          ]),
        ),
        { code: 'InvalidPartOrder', status: 400 },
      );
      assert.deepEqual(
        await s3Failure(
          s3.send(
            new UploadPartCommand({
              Bucket: 'media',
              Key: 'small.bin',
              UploadId,
              PartNumber: 10001,
              Body: 'x',
            }),
          ),
        ),
        { code: 'InvalidArgument', status: 400 },
      );
      await s3.send(new AbortMultipartUploadCommand({ Bucket: 'media', Key: 'small.bin', UploadId }));
      assert.deepEqual(await s3Failure(complete([{ PartNumber: 1, ETag: e1.ETag! }])), {
        code: 'NoSuchUpload',
        status: 404,
      });
      assert.deepEqual(
        await s3Failure(s3.send(new GetObjectCommand({ Bucket: 'media', Key: 'small.bin' }))),
        {
          code: 'NoSuchKey',
          status: 404,
        },
      );
    });
  });
}
