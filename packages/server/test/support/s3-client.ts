import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { TestApp } from './app.ts';

/** An access key as POST /api/storage/s3-keys answers it. */
export interface CreatedS3Key {
  id: string;
  accessKeyId: string;
  secretAccessKey: string;
  buckets: string[];
  readOnly: boolean;
}

/** Creates an S3 access key through the API (as the superuser). */
export async function createS3Key(t: TestApp, body: Record<string, unknown> = {}): Promise<CreatedS3Key> {
  const res = await t.request('POST', '/api/storage/s3-keys', { token: 'superuser', body });
  if (res.status !== 200) throw new Error(`creating an S3 key failed: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The real AWS SDK client, pointed at the test server's /s3 (path style, us-east-1). */
export function s3Client(t: TestApp, key: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint: `${t.url}/s3`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    maxAttempts: 1,
  });
}

/** The S3 error code and HTTP status a failing SDK call got (throws when it succeeded). */
export async function s3Failure(p: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { code: e.name, status: e.$metadata.httpStatusCode ?? 0 };
    throw e;
  }
  throw new Error('the S3 call succeeded');
}
