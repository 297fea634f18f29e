import { randomInt } from 'node:crypto';

/**
 * Generates a random string matching a simple regular expression, as used by
 * `autogeneratePattern` (e.g. `[a-z0-9]{15}`, `usr_[A-Z]{4}\d{3}`). Supports literals,
 * escapes (`\d \w`), character classes with ranges, and `{n}`, `{n,m}`, `?`. Throws on
 * anything else, so a pattern that cannot be honoured is rejected when it is saved.
 */
export function randomFromPattern(pattern: string): string {
  const atoms = parsePattern(pattern);
  let out = '';
  for (const a of atoms) {
    const n = a.min === a.max ? a.min : randomInt(a.min, a.max + 1);
    for (let i = 0; i < n; i++) out += a.chars[randomInt(0, a.chars.length)];
  }
  return out;
}

interface Atom {
  chars: string;
  min: number;
  max: number;
}

const DIGITS = '0123456789';
const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';

function parsePattern(p: string): Atom[] {
  const src = p.replace(/^\^/, '').replace(/\$$/, '');
  const atoms: Atom[] = [];
  let i = 0;
  while (i < src.length) {
    let chars: string;
    const c = src[i]!;
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end < 0) throw new Error('unterminated character class');
      chars = expandClass(src.slice(i + 1, end));
      i = end + 1;
    } else if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new Error('dangling escape');
      chars = e === 'd' ? DIGITS : e === 'w' ? WORD : e;
      i += 2;
    } else if ('()|*+.'.includes(c)) {
      throw new Error(`unsupported pattern syntax "${c}"`);
    } else {
      chars = c;
      i++;
    }
    let min = 1;
    let max = 1;
    const q = /^\{(\d+)(?:,(\d+))?\}|^\?/.exec(src.slice(i));
    if (q) {
      if (q[0] === '?') {
        min = 0;
      } else {
        min = Number(q[1]);
        max = q[2] !== undefined ? Number(q[2]) : min;
      }
      if (max < min || max > 1000) throw new Error('invalid repetition');
      i += q[0].length;
    }
    if (!chars) throw new Error('empty character class');
    atoms.push({ chars, min, max });
  }
  return atoms;
}

function expandClass(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) {
      const e = body[++i]!;
      out += e === 'd' ? DIGITS : e === 'w' ? WORD : e;
    } else if (body[i + 1] === '-' && i + 2 < body.length) {
      const from = c.charCodeAt(0);
      const to = body.charCodeAt(i + 2);
      if (to < from) throw new Error('invalid range');
      for (let x = from; x <= to; x++) out += String.fromCharCode(x);
      i += 2;
    } else out += c;
  }
  return out;
}
