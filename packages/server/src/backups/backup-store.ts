import { join } from 'node:path';
import type { BackupsS3, Config } from '../config.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createFsBlobStore } from '../storage/fs-blob-store.ts';
import { createS3BlobStore } from '../storage/s3-blob-store.ts';

/**
 * Where backup archives live, as the config says now: the S3 bucket of `backupsS3` when
 * enabled (settings `backups.s3`), else `<dataDir>/backups`. The store is kept while that
 * setting stays the same, and replaced (the old one closed) when it changes.
 */
export function createBackupStores(config: Config) {
  let current: { key: string; store: BlobStore } | undefined;
  const describe = (s: BackupsS3) => (s.enabled ? JSON.stringify(s) : 'fs');
  return {
    get(): BlobStore {
      const key = describe(config.backupsS3);
      if (current?.key === key) return current.store;
      void current?.store.close();
      const s = config.backupsS3;
      const store = s.enabled
        ? createS3BlobStore({
            bucket: s.bucket,
            region: s.region || 'us-east-1',
            endpoint: s.endpoint || undefined,
            accessKey: s.accessKey || undefined,
            secret: s.secret || undefined,
            forcePathStyle: s.forcePathStyle,
          })
        : createFsBlobStore(join(config.dataDir, 'backups'));
      current = { key, store };
      return store;
    },
    async close(): Promise<void> {
      await current?.store.close();
      current = undefined;
    },
  };
}
