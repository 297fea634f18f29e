import { malformedXml } from './s3-error.ts';

/**
 * The little XML S3 speaks: documents built from nested elements, and the two request
 * bodies clients send (`<Delete>` and `<CompleteMultipartUpload>`) read with a strict,
 * shallow reader (no DTDs, no entities beyond XML's own).
 */

/** An element's content: text, nested elements, or nothing (the element is left out). */
export type XmlContent = string | number | boolean | undefined | null | XmlContent[];

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Escapes text for an element's content. */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

/** One element, or '' when its content is undefined/null. */
export function el(name: string, content: XmlContent): string {
  if (content === undefined || content === null) return '';
  const inner = Array.isArray(content)
    ? content.map((c) => (typeof c === 'string' ? c : String(c ?? ''))).join('')
    : escapeXml(String(content));
  return `<${name}>${inner}</${name}>`;
}

/** A whole document with S3's namespace on the root element. */
export function xmlDocument(root: string, children: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${children.join('')}</${root}>`;
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!;
  });
}

/** The body of the root element when it is named `root` (any attributes); else MalformedXML. */
function rootBody(text: string, root: string): string {
  const body = text.replace(/^\uFEFF?\s*(<\?xml[^>]*\?>)?\s*/, '');
  const m = new RegExp(`^<${root}(\\s[^>]*)?>([\\s\\S]*)</${root}>\\s*$`).exec(body);
  if (!m || /<!/.test(body)) throw malformedXml();
  return m[2]!;
}

/** Every `<name>…</name>` child's inner text, in order. */
function children(body: string, name: string): string[] {
  return [...body.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g'))].map(
    (m) => m[1]!,
  );
}

function text(body: string, name: string): string | undefined {
  const found = children(body, name)[0];
  return found === undefined ? undefined : unescapeXml(found);
}

/** DeleteObjects' body: the keys and whether to answer quietly. */
export function parseDelete(xml: string): { keys: string[]; quiet: boolean } {
  const body = rootBody(xml, 'Delete');
  const keys = children(body, 'Object').map((o) => {
    const key = text(o, 'Key');
    if (key === undefined) throw malformedXml();
    return key;
  });
  if (keys.length === 0 || keys.length > 1000) throw malformedXml();
  return { keys, quiet: text(body, 'Quiet')?.trim().toLowerCase() === 'true' };
}

/** CompleteMultipartUpload's body: part numbers and their ETags, as sent. */
export function parseCompleteParts(xml: string): { number: number; etag: string }[] {
  const body = rootBody(xml, 'CompleteMultipartUpload');
  return children(body, 'Part').map((p) => {
    const number = Number(text(p, 'PartNumber'));
    const etag = text(p, 'ETag');
    if (!Number.isInteger(number) || etag === undefined) throw malformedXml();
    return { number, etag };
  });
}
