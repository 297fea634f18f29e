import Type from 'typebox';
import type { Operation, Paths } from './operation.ts';

const S3Key = Type.Object({
  id: Type.String(),
  name: Type.String(),
  accessKeyId: Type.String({ description: 'The AWS access key id to configure in S3 clients.' }),
  buckets: Type.Array(Type.String(), { description: 'Bucket names the key may use; empty for all.' }),
  readOnly: Type.Boolean({ description: 'Only reads (Get/Head/List) are allowed.' }),
  created: Type.String(),
  updated: Type.String(),
});

const tag = 'storage';
const s3 = (summary: string): Operation => ({
  summary,
  description:
    'S3 protocol (path style, SigV4-signed with a ForgeBase S3 access key; XML answers and errors): see docs/storage.md, "S3-compatible API".',
  tag: 's3',
  fb: true,
  external: 's3',
  ok: 204,
});

/** Access keys for the S3-compatible API, and the S3 protocol routes themselves (not JSON). */
export const S3_PATHS: Paths = {
  '/api/storage/s3-keys': {
    get: {
      summary: 'List S3 access keys (superusers; never with secrets)',
      tag,
      fb: true,
      ok: Type.Array(S3Key),
    },
    post: {
      summary: 'Create an S3 access key (superusers)',
      description:
        'The answer carries `secretAccessKey`, shown this once. ForgeBase stores the secret (SigV4 needs it to check signatures): treat the database as holding credentials.',
      tag,
      fb: true,
      body: Type.Object({
        name: Type.Optional(Type.String()),
        buckets: Type.Optional(Type.Array(Type.String())),
        readOnly: Type.Optional(Type.Boolean()),
      }),
      ok: Type.Intersect([S3Key, Type.Object({ secretAccessKey: Type.String() })]),
    },
  },
  '/api/storage/s3-keys/{id}': {
    delete: { summary: 'Delete an S3 access key (superusers)', tag, fb: true, ok: 204 },
  },
  '/s3': { get: s3('S3 ListBuckets') },
  '/s3/{bucket}': {
    get: s3('S3 ListObjects / ListObjectsV2 / ListMultipartUploads / HeadBucket'),
    put: s3('S3 CreateBucket'),
    post: s3('S3 DeleteObjects (`?delete`)'),
    delete: s3('S3 DeleteBucket'),
  },
  '/s3/{bucket}/{objectName}': {
    get: s3('S3 GetObject / HeadObject / ListParts'),
    put: s3('S3 PutObject / CopyObject / UploadPart'),
    post: s3('S3 CreateMultipartUpload / CompleteMultipartUpload'),
    delete: s3('S3 DeleteObject / AbortMultipartUpload'),
  },
};
