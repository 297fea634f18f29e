import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { createFsBlobStore } from './fs-blob-store.ts';
import { createS3BlobStore } from './s3-blob-store.ts';

/** Where record files go: '' for `<dataDir>/storage`, else the S3 connection's values. */
function placeOf(config: Config, enabled: boolean): string {
  if (!enabled || !config.s3Bucket) return '';
  return JSON.stringify([
    config.s3Bucket,
    config.s3Endpoint ?? '',
    config.s3Region,
    config.s3AccessKey ?? '',
    config.s3Secret ?? '',
    config.s3ForcePathStyle,
  ]);
}

/**
 * The blob store of record files, following settings `s3` at runtime as PocketBase does:
 * with `s3.enabled` and a bucket, the bucket the current `s3*` values name, otherwise
 * `<dataDir>/storage`. Each call goes to the store current at that moment; files written
 * before a switch stay where they are (they are not moved). `startup` is the store the
 * config opened at start (used again while the settings name the same place).
 */
export function createRecordBlobStore(config: Config, startup: BlobStore): BlobStore {
  // openBlobStore uses the bucket whenever one is configured
  const startupPlace = placeOf(config, true);
  const opened = new Map<string, BlobStore>();
  function current(): BlobStore {
    const signature = placeOf(config, config.s3Enabled);
    if (signature === startupPlace) return startup;
    let store = opened.get(signature);
    if (!store) {
      store = signature
        ? createS3BlobStore({
            bucket: config.s3Bucket ?? '',
            endpoint: config.s3Endpoint,
            region: config.s3Region,
            accessKey: config.s3AccessKey,
            secret: config.s3Secret,
            forcePathStyle: config.s3ForcePathStyle,
          })
        : createFsBlobStore(join(config.dataDir, 'storage'));
      opened.set(signature, store);
    }
    return store;
  }
  return {
    put: (key, body, opts) => current().put(key, body, opts),
    stat: (key) => current().stat(key),
    read: (key, range) => current().read(key, range),
    move: (from, to) => current().move(from, to),
    delete: (key) => current().delete(key),
    deletePrefix: (prefix) => current().deletePrefix(prefix),
    list: (prefix) => current().list(prefix),
    // the startup store is closed by its owner
    async close() {
      await Promise.all([...opened.values()].map((s) => s.close()));
      opened.clear();
    },
  };
}
