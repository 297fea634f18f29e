/**
 * Dates travel as PocketBase's text format `2006-01-02 15:04:05.000Z` (UTC, millisecond
 * precision). Stored as text, they sort lexically in both dialects.
 */
export function formatDate(d: Date): string {
  return d.toISOString().replace('T', ' ');
}

/** Now (or the given epoch milliseconds, e.g. `clock.now()`), in the stored date format. */
export function nowDate(ms: number = Date.now()): string {
  return formatDate(new Date(ms));
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses the date shapes a client may send (ISO 8601, PocketBase format, date only) into
 * the stored format; returns `undefined` when the text is not a date.
 */
export function parseDate(input: string): string | undefined {
  const s = input.trim();
  if (!DATE_RE.test(s)) return undefined;
  let iso = s.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += 'Z';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  return formatDate(d);
}
