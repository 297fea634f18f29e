import type { Transport } from '../http/transport.ts';

/** Options of a record file URL. */
export interface FileUrlOptions {
  /** A size listed in the field's `thumbs` (`100x100`, `0x300`, `200x100t`, …). */
  thumb?: string;
  /** A file token (`getToken()`) for protected files. */
  token?: string;
  /** Ask the browser to save the file instead of showing it. */
  download?: boolean;
}

/** Record files (PocketBase's files API): URLs with thumbs, and tokens for protected files. */
export class FileService {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The URL of `filename` of `record` ('' when there is no file name). */
  getURL(
    record: { id: string; collectionId?: string; collectionName?: string },
    filename: string,
    o: FileUrlOptions = {},
  ): string {
    const collection = record.collectionId || record.collectionName;
    if (!filename || !record.id || !collection) return '';
    const path = `/api/files/${encodeURIComponent(collection)}/${encodeURIComponent(record.id)}/${encodeURIComponent(filename)}`;
    return this.#t.url(path, { thumb: o.thumb, token: o.token, download: o.download ? 1 : undefined });
  }

  /** A short-lived token that opens protected files for the signed-in record. */
  async getToken(): Promise<string> {
    return (await this.#t.send<{ token: string }>('/api/files/token', { method: 'POST' })).token;
  }
}
