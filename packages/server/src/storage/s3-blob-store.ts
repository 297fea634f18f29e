import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { type BlobInfo, BlobNotFoundError, type BlobStore, type ByteRange, checkKey } from './blob-store.ts';

/** How to reach an S3-compatible bucket. */
export interface S3Options {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKey?: string | undefined;
  secret?: string | undefined;
  forcePathStyle: boolean;
}

// S3's smallest multipart part; a blob smaller than one part is one PutObject
const PART_SIZE = 5 * 1024 * 1024;

const s3sdk = () => import('@aws-sdk/client-s3');

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** Reads a stream into chunks of `size` bytes (the last may be shorter); memory stays at one part. */
async function* parts(body: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    while (length + buf.length >= size) {
      const take = size - length;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      length = 0;
      buf = buf.subarray(take);
    }
    if (buf.length) {
      pending.push(buf);
      length += buf.length;
    }
  }
  if (length || pending.length === 0) yield Buffer.concat(pending);
}

/**
 * Blobs in an S3-compatible bucket (AWS, MinIO, R2, s3rver...). Uploads stream in 5 MiB
 * multipart parts (one PutObject when smaller), so memory stays bounded whatever the size;
 * S3 makes an object visible only once it is complete.
 */
export function createS3BlobStore(opts: S3Options): BlobStore {
  const bucket = opts.bucket;
  let client: Promise<S3Client> | undefined;
  const s3 = () => {
    client ??= s3sdk().then(
      ({ S3Client }) =>
        new S3Client({
          region: opts.region,
          forcePathStyle: opts.forcePathStyle,
          ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
          ...(opts.accessKey && opts.secret
            ? { credentials: { accessKeyId: opts.accessKey, secretAccessKey: opts.secret } }
            : {}),
        }),
    );
    return client;
  };

  async function put(key: string, body: Readable, { contentType }: { contentType: string }): Promise<number> {
    checkKey(key);
    const sdk = await s3sdk();
    const c = await s3();
    const iter = parts(body, PART_SIZE);
    const first = await iter.next();
    const firstBuf = first.done ? Buffer.alloc(0) : first.value;
    const second = await iter.next();
    if (second.done) {
      await c.send(
        new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: firstBuf, ContentType: contentType }),
      );
      return firstBuf.length;
    }
    const { UploadId } = await c.send(
      new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }),
    );
    const done: { ETag: string | undefined; PartNumber: number }[] = [];
    let size = 0;
    try {
      let n = 0;
      const upload = async (buf: Buffer) => {
        n += 1;
        const r = await c.send(
          new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: buf }),
        );
        done.push({ ETag: r.ETag, PartNumber: n });
        size += buf.length;
      };
      await upload(firstBuf);
      await upload(second.value);
      for await (const buf of iter) await upload(buf);
      await c.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: done },
        }),
      );
      return size;
    } catch (e) {
      await c
        .send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw e;
    }
  }

  async function list(prefix = ''): Promise<string[]> {
    const sdk = await s3sdk();
    const c = await s3();
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await c.send(
        new sdk.ListObjectsV2Command({
          Bucket: bucket,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async function deleteKeys(keys: string[]): Promise<void> {
    const sdk = await s3sdk();
    const c = await s3();
    // one DeleteObject per key: every S3 clone supports it (not all do DeleteObjects)
    await Promise.all(keys.map((Key) => c.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key }))));
  }

  return {
    put,
    list,

    async stat(key): Promise<BlobInfo | undefined> {
      const sdk = await s3sdk();
      try {
        const r = await (await s3()).send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: checkKey(key) }));
        return {
          size: r.ContentLength ?? 0,
          contentType: r.ContentType ?? 'application/octet-stream',
          modified: r.LastModified ?? new Date(0),
          etag: r.ETag ?? `"${(r.ContentLength ?? 0).toString(16)}"`,
        };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },

    async read(key, range?: ByteRange) {
      const sdk = await s3sdk();
      try {
        const r = await (await s3()).send(
          new sdk.GetObjectCommand({
            Bucket: bucket,
            Key: checkKey(key),
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        return r.Body as Readable;
      } catch (e) {
        throw isNotFound(e) ? new BlobNotFoundError(key) : e;
      }
    },

    async move(from, to) {
      const sdk = await s3sdk();
      const c = await s3();
      try {
        await c.send(
          new sdk.CopyObjectCommand({
            Bucket: bucket,
            Key: checkKey(to),
            CopySource: `${bucket}/${checkKey(from)}`,
          }),
        );
      } catch (e) {
        throw isNotFound(e) ? new BlobNotFoundError(from) : e;
      }
      await c.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: from }));
    },

    async delete(key) {
      await deleteKeys([checkKey(key)]);
    },

    async close() {
      if (client) (await client).destroy();
      client = undefined;
    },

    async deletePrefix(prefix) {
      if (!prefix.endsWith('/')) throw new Error('a prefix to delete must end with "/"');
      await deleteKeys(await list(prefix));
    },
  };
}
