import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** A file of the public dir, ready to be sent. */
export interface PublicFile {
  path: string;
  size: number;
  modified: Date;
  etag: string;
  contentType: string;
}

/** What a request path names in the public dir: a file, a redirect to its canonical URL, or nothing. */
export type PublicLookup = { file: PublicFile } | { redirect: string } | { missing: true };

const TEXT = '; charset=utf-8';
// the types a static site needs; anything else is sent as bytes
const CONTENT_TYPES: Record<string, string> = {
  '.html': `text/html${TEXT}`,
  '.htm': `text/html${TEXT}`,
  '.css': `text/css${TEXT}`,
  '.js': `text/javascript${TEXT}`,
  '.mjs': `text/javascript${TEXT}`,
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': `text/plain${TEXT}`,
  '.md': `text/markdown${TEXT}`,
  '.csv': `text/csv${TEXT}`,
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.zip': 'application/zip',
};

/** The Content-Type of a public file, by its extension. */
export function publicContentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** A same-site path for a Location header: never `//host` (an open redirect). */
function sameSite(path: string): string {
  return `/${path.replace(/^[/\\]+/, '')}`;
}

/** The file at `full` if it is a regular file whose real path stays inside `root` (no symlink out). */
async function fileInside(root: string, full: string): Promise<PublicFile | undefined> {
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(full)]);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return undefined;
    const st = await stat(real);
    if (!st.isFile()) return undefined;
    return {
      path: real,
      size: st.size,
      modified: st.mtime,
      etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      contentType: publicContentType(real),
    };
  } catch {
    // missing, unreadable or a dangling link: not a file to serve
    return undefined;
  }
}

/**
 * Resolves a request path (still percent-encoded, without the query) against the public
 * dir like PocketBase's apis.Static: a directory's `index.html` (its URL with a trailing
 * slash, others redirected 301 there), a file's URL without one (and without a final
 * `index.html`). A path that leaves the dir (`..`, an encoded slash or NUL, a symlink
 * pointing out) is missing. `indexFallback` answers a missing path with the root
 * `index.html` (single-page apps).
 */
export async function lookupPublicFile(
  root: string,
  urlPath: string,
  indexFallback: boolean,
): Promise<PublicLookup> {
  const fallback = async (): Promise<PublicLookup> => {
    const index = indexFallback ? await fileInside(root, join(root, 'index.html')) : undefined;
    return index ? { file: index } : { missing: true };
  };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return fallback();
  }
  const segments = decoded.split('/');
  if (decoded.includes('\0') || decoded.includes('\\') || segments.some((s) => s === '..')) return fallback();
  const full = join(root, ...segments);
  if (full !== root && !full.startsWith(root + sep)) return fallback();
  let isDir = false;
  try {
    isDir = (await stat(full)).isDirectory();
  } catch {
    return fallback();
  }
  if (isDir) {
    if (!urlPath.endsWith('/')) return { redirect: sameSite(`${urlPath}/`) };
    const index = await fileInside(root, join(full, 'index.html'));
    return index ? { file: index } : fallback();
  }
  if (urlPath.endsWith('/')) return { redirect: sameSite(urlPath.replace(/\/+$/, '')) };
  if (urlPath.endsWith('/index.html')) return { redirect: sameSite(urlPath.slice(0, -'index.html'.length)) };
  const file = await fileInside(root, full);
  return file ? { file } : fallback();
}
