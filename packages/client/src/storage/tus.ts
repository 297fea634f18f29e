import { ClientError } from '../errors.ts';
import type { Transport } from '../http/transport.ts';

/** Options of a resumable upload. */
export interface ResumableOptions {
  contentType?: string;
  upsert?: boolean;
  /** Bytes per PATCH (default 6 MiB). */
  chunkSize?: number;
  /** Continue an upload started earlier (its `url`, e.g. kept in localStorage). */
  uploadUrl?: string;
  /** Called with the upload's URL as soon as it exists: keep it to resume after a crash. */
  onUrl?: (url: string) => void;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

const TUS = { 'tus-resumable': '1.0.0' };
const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

/**
 * A resumable upload speaking tus 1.0 with fetch (docs/storage.md): creation, then PATCHes
 * of `chunkSize`, continuing from the server's `Upload-Offset` after an interruption.
 * Answers the upload's URL; the object exists once the last chunk is accepted.
 */
export async function uploadResumable(
  t: Transport,
  bucket: string,
  name: string,
  data: Blob,
  o: ResumableOptions = {},
): Promise<string> {
  const endpoint = '/api/storage/upload/resumable';
  let location = o.uploadUrl;
  let offset = 0;
  const common = { ...TUS, ...(o.upsert ? { 'x-upsert': 'true' } : {}) };
  if (location) {
    const head = await t.send<Response>(location, {
      method: 'HEAD',
      raw: true,
      headers: common,
      signal: o.signal,
    });
    offset = Number(head.headers.get('upload-offset') ?? 0);
  } else {
    const meta = [`bucketName ${b64(bucket)}`, `objectName ${b64(name)}`];
    if (o.contentType ?? data.type) meta.push(`contentType ${b64(o.contentType ?? data.type)}`);
    const res = await t.send<Response>(endpoint, {
      method: 'POST',
      raw: true,
      signal: o.signal,
      headers: { ...common, 'upload-length': String(data.size), 'upload-metadata': meta.join(',') },
    });
    const at = res.headers.get('location');
    if (!at) throw new ClientError(res.status, 'The upload was created without a location.');
    location = new URL(at, t.baseUrl).pathname;
    o.onUrl?.(location);
  }
  const size = o.chunkSize ?? 6 * 1024 * 1024;
  o.onProgress?.(offset, data.size);
  while (offset < data.size) {
    const chunk = data.slice(offset, Math.min(offset + size, data.size));
    const res = await t.send<Response>(location, {
      method: 'PATCH',
      raw: true,
      body: chunk,
      signal: o.signal,
      headers: {
        ...common,
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
    });
    offset = Number(res.headers.get('upload-offset') ?? offset + chunk.size);
    o.onProgress?.(offset, data.size);
  }
  return location;
}
