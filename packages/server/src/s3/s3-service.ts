import type { Database } from '../db/database.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { StorageService } from '../storage/storage-service.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import { createMultipartService } from './multipart.ts';
import { createS3KeyService } from './s3-keys.ts';
import { createS3Store } from './s3-store.ts';

/** What the S3-compatible API needs beyond the storage service: access keys and multipart uploads. */
export function createS3Service(deps: {
  db: Database;
  blobs: BlobStore;
  storage: StorageService;
  secrets: SecretBox;
}) {
  const store = createS3Store(deps.db, deps.secrets);
  return {
    keys: createS3KeyService(store),
    multipart: createMultipartService({ ...deps, store }),
  };
}

export type S3Service = ReturnType<typeof createS3Service>;
