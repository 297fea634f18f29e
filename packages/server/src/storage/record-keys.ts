import { checkKey } from './blob-store.ts';

/**
 * Storage keys of record files, laid out like PocketBase's:
 * `<collectionId>/<recordId>/<filename>` and thumbs under
 * `<collectionId>/<recordId>/thumbs_<filename>/<size>_<filename>`.
 */
export function recordDir(collectionId: string, recordId: string): string {
  return checkKey(`${collectionId}/${recordId}`);
}

/** The key of one file of a record. */
export function recordFileKey(collectionId: string, recordId: string, filename: string): string {
  return checkKey(`${collectionId}/${recordId}/${filename}`);
}

/** The key of a file's thumb of the given size (`100x100`, `0x50f`...). */
export function thumbKey(collectionId: string, recordId: string, filename: string, size: string): string {
  return checkKey(`${collectionId}/${recordId}/thumbs_${filename}/${size}_${filename}`);
}

/** The prefix holding every thumb of one file. */
export function thumbsPrefix(collectionId: string, recordId: string, filename: string): string {
  return `${checkKey(`${collectionId}/${recordId}/thumbs_${filename}`)}/`;
}
