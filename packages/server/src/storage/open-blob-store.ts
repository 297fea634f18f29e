import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { createFsBlobStore } from './fs-blob-store.ts';
import { createS3BlobStore } from './s3-blob-store.ts';

/** The blob store the config asks for: an S3 bucket when `s3_bucket` is set, else `<dataDir>/storage`. */
export function openBlobStore(config: Config): BlobStore {
  if (config.s3Bucket) {
    return createS3BlobStore({
      bucket: config.s3Bucket,
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      accessKey: config.s3AccessKey,
      secret: config.s3Secret,
      forcePathStyle: config.s3ForcePathStyle,
    });
  }
  return createFsBlobStore(join(config.dataDir, 'storage'));
}
