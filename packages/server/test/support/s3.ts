import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import type { Config } from '../../src/config.ts';

/** A real S3 server (s3rver) on a random port with its own temp dir and bucket. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** Config keys that point ForgeBase at this server. */
  config: Partial<Config>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1:0 with one bucket (names must be ≥ 3 characters). */
export async function startTestS3(bucket = 'fb-files'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const addr = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    bucket,
    config: {
      s3Bucket: bucket,
      s3Endpoint: endpoint,
      s3Region: 'us-east-1',
      s3AccessKey: 'S3RVER',
      s3Secret: 'S3RVER',
      s3ForcePathStyle: true,
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
