/** A query parameter value: arrays repeat the key, `undefined` and `null` are left out. */
export type QueryValue = string | number | boolean | null | undefined | (string | number | boolean)[];

/** `?a=1&b=x` from an object, in key order (an empty string when nothing is set). */
export function queryString(params: Record<string, QueryValue> | undefined): string {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
