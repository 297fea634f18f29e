/** A value `filter()` can bind: strings are quoted, dates become UTC text, objects JSON. */
export type FilterValue = string | number | boolean | null | undefined | Date | object;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A date as the server stores it: `2026-01-02 03:04:05.678Z`. */
const dateText = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;

function quote(s: string): string {
  // the filter language has no way to quote a trailing backslash (it would escape the quote)
  if (/\\$/.test(s)) throw new TypeError('filter(): a string value may not end with a backslash');
  return `'${s.replace(/'/g, "\\'")}'`;
}

function literal(v: FilterValue): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return quote(dateText(v));
  if (typeof v === 'string') return quote(v);
  return quote(JSON.stringify(v));
}

/**
 * Binds `{:name}` placeholders of a filter to values, so user input can never change the
 * filter's meaning (PocketBase's `pb.filter`). A placeholder without a value is an error.
 *
 * @example
 * fb.filter('title ~ {:q} && created > {:since}', { q: "it's", since: new Date() })
 * // "title ~ 'it\\'s' && created > '2026-01-02 03:04:05.678Z'"
 */
export function filter(expr: string, params: Record<string, FilterValue> = {}): string {
  return expr.replace(/\{:(\w+)\}/g, (_m, name: string) => {
    if (!(name in params)) throw new TypeError(`filter(): no value for {:${name}}`);
    return literal(params[name]);
  });
}
