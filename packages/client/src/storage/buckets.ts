import { ClientError } from '../errors.ts';
import type { Transport } from '../http/transport.ts';
import { type ResumableOptions, uploadResumable } from './tus.ts';

/** An object of a bucket, as the storage API answers it. */
export interface StorageObject {
  id: string;
  bucket: string;
  name: string;
  size: number;
  mimeType: string;
  owner: string;
  metadata: Record<string, unknown>;
  created: string;
  updated: string;
  [more: string]: unknown;
}

/** Options of a plain upload. */
export interface UploadOptions {
  contentType?: string;
  /** Replace an existing object of that name. */
  upsert?: boolean;
  /** Called as bytes go out (XMLHttpRequest in browsers, a counting stream elsewhere). */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

const objectPath = (bucket: string, name: string) =>
  `${encodeURIComponent(bucket)}/${name.split('/').map(encodeURIComponent).join('/')}`;

/** A body that reports how much of it was read (for fetch, where there is no XHR), in 64 KiB steps. */
function counting(data: Blob, onProgress: (sent: number, total: number) => void): ReadableStream<Uint8Array> {
  const STEP = 64 * 1024;
  let sent = 0;
  return new ReadableStream({
    async pull(c) {
      if (sent >= data.size) return c.close();
      const part = new Uint8Array(await data.slice(sent, sent + STEP).arrayBuffer());
      sent += part.byteLength;
      c.enqueue(part);
      onProgress(sent, data.size);
    },
  });
}

/** Upload through XMLHttpRequest, the only browser API with upload progress over HTTP/1.1. */
function xhrUpload(
  url: string,
  headers: Record<string, string>,
  data: Blob,
  o: UploadOptions,
): Promise<StorageObject> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => o.onProgress?.(e.loaded, data.size);
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || '{}') as Record<string, unknown>;
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as StorageObject);
      reject(
        new ClientError(xhr.status, String(body.message ?? ''), { data: (body.data as never) ?? {}, url }),
      );
    };
    xhr.onerror = () => reject(new Error('The upload failed.'));
    o.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(data);
  });
}

/** ForgeBase's buckets (docs/storage.md): uploads with progress, resumable uploads, signed URLs. */
export class BucketService {
  readonly #t: Transport;
  readonly #token: () => string;
  constructor(t: Transport, token: () => string) {
    this.#t = t;
    this.#token = token;
  }

  /** Uploads bytes as `name` (409 `conflict` when taken, unless `upsert`). */
  upload(bucket: string, name: string, data: Blob, o: UploadOptions = {}): Promise<StorageObject> {
    const headers: Record<string, string> = {
      'content-type': o.contentType || data.type || 'application/octet-stream',
    };
    if (o.upsert) headers['x-upsert'] = 'true';
    const path = `/api/storage/object/${objectPath(bucket, name)}`;
    if (o.onProgress && typeof XMLHttpRequest !== 'undefined') {
      const token = this.#token();
      return xhrUpload(this.#t.url(path), token ? { ...headers, authorization: token } : headers, data, o);
    }
    const body = o.onProgress ? counting(data, o.onProgress) : data;
    return this.#t.send(path, { method: 'POST', body, headers, signal: o.signal });
  }

  /** A resumable (tus) upload; answers its URL, usable with `uploadUrl` to continue. */
  uploadResumable(bucket: string, name: string, data: Blob, o: ResumableOptions = {}): Promise<string> {
    return uploadResumable(this.#t, bucket, name, data, o);
  }

  /** The object's bytes. */
  async download(bucket: string, name: string): Promise<Blob> {
    const res = await this.#t.send<Response>(`/api/storage/object/${objectPath(bucket, name)}`, {
      raw: true,
    });
    return res.blob();
  }

  /** The object's metadata. */
  info(bucket: string, name: string): Promise<StorageObject> {
    return this.#t.send(`/api/storage/object/info/${objectPath(bucket, name)}`);
  }

  /** A folder listing (`delimiter: ""` lists flat; `after` continues from `next`). */
  list(
    bucket: string,
    o: {
      prefix?: string;
      limit?: number;
      offset?: number;
      search?: string;
      delimiter?: string;
      after?: string;
    } = {},
  ): Promise<{ prefixes: string[]; items: StorageObject[]; truncated: boolean; next?: string }> {
    return this.#t.send(`/api/storage/object/list/${encodeURIComponent(bucket)}`, {
      method: 'POST',
      body: o,
    });
  }

  /** Deletes objects by name; answers those deleted. */
  remove(bucket: string, names: string[]): Promise<StorageObject[]> {
    return this.#t.send(`/api/storage/object/${encodeURIComponent(bucket)}`, {
      method: 'DELETE',
      body: { prefixes: names },
    });
  }

  /** A download URL anyone may use for `expiresIn` seconds. */
  async signedUrl(bucket: string, name: string, expiresIn: number): Promise<string> {
    const r = await this.#t.send<{ signedURL: string }>(
      `/api/storage/object/sign/${objectPath(bucket, name)}`,
      {
        method: 'POST',
        body: { expiresIn },
      },
    );
    return new URL(r.signedURL, `${this.#t.baseUrl}/`).toString();
  }

  /** A URL anyone may `PUT` the object's bytes to, for 2 hours. */
  async signedUploadUrl(bucket: string, name: string, o: { upsert?: boolean } = {}): Promise<string> {
    const r = await this.#t.send<{ url: string }>(
      `/api/storage/object/upload/sign/${objectPath(bucket, name)}`,
      {
        method: 'POST',
        headers: o.upsert ? { 'x-upsert': 'true' } : {},
      },
    );
    return new URL(r.url, `${this.#t.baseUrl}/`).toString();
  }

  /** The URL of an object of a public bucket (anyone may GET it). */
  publicUrl(bucket: string, name: string): string {
    return this.#t.url(`/api/storage/object/${objectPath(bucket, name)}`);
  }
}
