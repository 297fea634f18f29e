import { type Dialect, startTestApp, type TestApp } from './app.ts';
import { startTestS3, type TestS3 } from './s3.ts';

/** Where a test app keeps record files. */
export type Backend = 'local' | 's3';

/** A test app with its blob store (and, for S3, its own s3rver). */
export interface FileTestApp extends TestApp {
  backend: Backend;
  /** Every key in the app's blob store under `prefix`. */
  blobKeys(prefix?: string): Promise<string[]>;
}

/** Starts a test app storing files locally or in a fresh s3rver bucket. */
export async function startFileApp(dialect: Dialect, backend: Backend): Promise<FileTestApp> {
  const s3: TestS3 | undefined = backend === 's3' ? await startTestS3() : undefined;
  const t = await startTestApp(dialect, s3?.config ?? {});
  return {
    ...t,
    backend,
    blobKeys: (prefix = '') => t.app.files.blobs.list(prefix),
    async close() {
      await t.close();
      await s3?.close();
    },
  };
}

/** A multipart body: strings become text parts, Files file parts (arrays repeat the key). */
export function form(fields: Record<string, string | File | (string | File)[]>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields))
    for (const item of Array.isArray(v) ? v : [v]) fd.append(k, item);
  return fd;
}

/** A text file. */
export const textFile = (name: string, content: string) => new File([content], name, { type: 'text/plain' });

/** A real PNG of the given size (made with sharp). */
export async function pngFile(name: string, width = 64, height = 48): Promise<File> {
  const sharp = (await import('sharp')).default;
  const buf = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toBuffer();
  return new File([new Uint8Array(buf)], name, { type: 'image/png' });
}
