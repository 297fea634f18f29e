const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * A duration in milliseconds from a number (already milliseconds) or text such as `'30s'`,
 * `'5m'`, `'2d'` or `'250ms'` (units ms, s, m, h, d). Throws a TypeError on anything else,
 * so a definition with a typo fails when its module loads.
 *
 * @example
 * parseDuration('30s'); // 30000
 */
export function parseDuration(value: number | string, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`${what}: expected 0 or more milliseconds`);
    return Math.round(value);
  }
  const m = DURATION_RE.exec(value.trim());
  if (!m) throw new TypeError(`${what}: expected a duration such as '30s', '5m' or '2d' (got ${value})`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}
