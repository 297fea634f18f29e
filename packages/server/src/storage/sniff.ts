import { extname } from 'node:path';

/** How many leading bytes content sniffing looks at (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

// text formats have no magic bytes: their type comes from the name, when the bytes are text
const TEXT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.svg': 'image/svg+xml',
  '.xml': 'text/xml',
  '.yaml': 'text/yaml',
  '.yml': 'text/yaml',
  '.ics': 'text/calendar',
  '.vcf': 'text/vcard',
};

const fileType = () => import('file-type');

/** True when the sample looks like text: no NUL byte and valid UTF-8 (a cut last character is fine). */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const bad = decoded.indexOf('\uFFFD');
  return bad === -1 || bad >= decoded.length - 3;
}

/**
 * The content type of a file from its first bytes (magic numbers, via file-type), like
 * PocketBase's mimetype sniffing; for text, the name's extension picks the text type
 * (`text/plain` when unknown). A `.png` name on text content is therefore `text/plain`.
 */
export async function sniffContentType(head: Buffer, name: string): Promise<string> {
  const { fileTypeFromBuffer } = await fileType();
  const found = head.length ? await fileTypeFromBuffer(head) : undefined;
  if (found) return found.mime;
  if (looksLikeText(head)) return TEXT_TYPES[extname(name).toLowerCase()] ?? 'text/plain';
  return 'application/octet-stream';
}

/** A file extension (with the dot) for a sniffed type, for names that have none. */
export async function extensionFor(head: Buffer): Promise<string> {
  const { fileTypeFromBuffer } = await fileType();
  const found = head.length ? await fileTypeFromBuffer(head) : undefined;
  if (found) return `.${found.ext}`;
  return looksLikeText(head) ? '.txt' : '';
}
