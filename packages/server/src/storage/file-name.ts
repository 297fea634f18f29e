import { randomInt } from 'node:crypto';
import { extensionFor } from './sniff.ts';

const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
// PocketBase also keeps `*` and `#`; they are dropped here so every name is a safe storage key
const EXT_INVALID_RE = /[^\w.\-+=]+/g;

function randomPart(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += RANDOM_ALPHABET[randomInt(0, RANDOM_ALPHABET.length)];
  return out;
}

/** `.tar.gz` for `a.tar.gz`, `.png` for `a.png`, '' without a dot (PocketBase's extractExtension). */
function extensionOf(name: string): string {
  const primary = name.lastIndexOf('.');
  if (primary === -1) return '';
  const secondary = name.lastIndexOf('.', primary - 1);
  return secondary >= 0 ? name.slice(secondary) : name.slice(primary);
}

/** PocketBase's Snakecase: words split at non-word characters, camelCase split, lowercased. */
function snakecase(s: string): string {
  const words = s.split(/[\W_]+/u).filter(Boolean);
  return words
    .map((w) => w.replace(/(?<=[^A-Z])([A-Z])/g, '_$1'))
    .join('_')
    .toLowerCase();
}

/**
 * The name a file is stored under, like PocketBase's: the original name snake_cased to
 * letters, digits and `_` (so no path separators survive), at most 100 characters (with
 * random filler when shorter than 3), then `_` and 10 random characters, then the cleaned
 * extension (sniffed from the content when the name has none).
 * `../../etc/My Photo.PNG` → `etc_my_photo_a1b2c3d4e5.PNG`.
 */
export async function storedFileName(original: string, head: Buffer): Promise<string> {
  const name = original.length > 300 ? original.slice(-300) : original;
  const originalExt = extensionOf(name);
  let ext = `.${originalExt.replace(EXT_INVALID_RE, '').replace(/^\.+|\.+$/g, '')}`;
  if (ext === '.') ext = await extensionFor(head);
  if (ext.length > 20) ext = `.${ext.slice(-20).replace(/^\.+|\.+$/g, '')}`;
  let base = snakecase(name.slice(0, name.length - originalExt.length).replace(/^\.+|\.+$/g, ''));
  // keep to ASCII word characters so every stored name is a valid storage key
  base = base.normalize('NFKD').replace(/[^a-z0-9_]/g, '');
  if (base.length < 3) base += randomPart(10);
  else if (base.length > 100) base = base.slice(0, 100);
  return `${base}_${randomPart(10)}${ext}`;
}
