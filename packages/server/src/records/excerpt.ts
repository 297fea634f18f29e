// matches PocketBase's excerpt modifier (tools/picker/excerpt_modifier.go): comments and
// excluded elements are dropped with their content, inline tags are joined without a
// space, any other tag separates words
const EXCLUDED_TAGS = new Set(
  'head style script iframe embed applet object svg img picture dialog template button form textarea input select option'.split(
    ' ',
  ),
);
const INLINE_TAGS = new Set(
  'a abbr acronym b bdo big br button cite code em i label q small span strong strike sub sup time'.split(
    ' ',
  ),
);
/** Input beyond this many UTF-16 units is never read: an excerpt is a short preview. */
export const EXCERPT_SCAN_LIMIT = 1024 * 1024;

/**
 * `indexOf` from positions that only move forward, remembering the last hit and a miss:
 * every search for the same needle over one text costs O(text length) in total, so an
 * adversarial run of unclosed `<script>` or `<!--` stays linear.
 */
function forwardFinder(text: string): (needle: string, from: number) => number {
  const last = new Map<string, number>();
  return (needle, from) => {
    const known = last.get(needle);
    if (known !== undefined && (known === -1 || known >= from)) return known;
    const at = text.indexOf(needle, from);
    last.set(needle, at);
    return at;
  };
}

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isNameChar = (c: number) => isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 45;
const isSpace = (ch: string) => /\s/.test(ch);

/**
 * Shortens HTML or text to plain text of at most `max` characters, in one left-to-right
 * pass over at most EXCERPT_SCAN_LIMIT units that stops once it has enough text.
 */
export function excerpt(value: string, max: number, ellipsis: boolean): string {
  const text = value.length > EXCERPT_SCAN_LIMIT ? value.slice(0, EXCERPT_SCAN_LIMIT) : value;
  const lower = text.toLowerCase();
  const find = forwardFinder(lower);
  const closing = closingFinder(lower, find);
  const out: string[] = [];
  let count = 0; // code points in out
  let pendingSpace = false;
  const emit = (ch: string) => {
    if (isSpace(ch)) {
      pendingSpace = out.length > 0;
      return;
    }
    if (pendingSpace) {
      out.push(' ');
      count++;
      pendingSpace = false;
    }
    out.push(ch);
    count++;
  };
  let i = 0;
  // max + 2 code points are enough to know the text is longer than max, trailing space or not
  while (i < text.length && count < max + 2) {
    if (text[i] === '<') {
      if (text.startsWith('<!--', i)) {
        const close = find('-->', i + 4);
        if (close !== -1) {
          i = close + 3;
          continue;
        }
      } else {
        const slash = text[i + 1] === '/' ? 1 : 0;
        let j = i + 1 + slash;
        if (isLetter(text.charCodeAt(j))) {
          while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
          const name = lower.slice(i + 1 + slash, j);
          const gt = find('>', j);
          if (gt !== -1) {
            i = gt + 1;
            if (!slash && EXCLUDED_TAGS.has(name)) {
              const end = closing(name, i);
              if (end !== -1) {
                i = end;
                continue;
              }
            }
            if (!INLINE_TAGS.has(name) && !EXCLUDED_TAGS.has(name)) emit(' ');
            continue;
          }
        }
      }
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    emit(ch);
    i += ch.length;
  }
  const chars = out;
  if (count <= max) return chars.join('');
  return chars.slice(0, max).join('').trimEnd() + (ellipsis ? '...' : '');
}

/**
 * For each tag name, the end of the first `</name\s*>` at or after a position that only
 * moves forward, or -1; remembered like forwardFinder, so invalid `</name` look-alikes are
 * each read once.
 */
function closingFinder(lower: string, find: (needle: string, from: number) => number) {
  const last = new Map<string, { start: number; end: number }>();
  return (name: string, from: number): number => {
    const known = last.get(name);
    if (known && (known.start === -1 || known.start >= from)) return known.end;
    let at = find(`</${name}`, from);
    while (at !== -1) {
      let k = at + 2 + name.length;
      while (k < lower.length && isSpace(lower[k]!)) k++;
      if (lower[k] === '>') break;
      at = find(`</${name}`, at + 1);
    }
    const end = at === -1 ? -1 : lower.indexOf('>', at) + 1;
    last.set(name, { start: at, end });
    return end;
  };
}
