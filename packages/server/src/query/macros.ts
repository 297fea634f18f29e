import { formatDate } from '../tools/time.ts';

/**
 * PocketBase's datetime macros, as values in the stored date format (UTC), or numbers for
 * the calendar parts (`@second` … `@year`).
 */
export function macroValue(name: string, now = new Date()): string | number | undefined {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const day = (offset: number) =>
    new Date(
      Date.UTC(
        y,
        m,
        d + offset,
        now.getUTCHours(),
        now.getUTCMinutes(),
        now.getUTCSeconds(),
        now.getUTCMilliseconds(),
      ),
    );
  switch (name) {
    case '@now':
      return formatDate(now);
    case '@second':
      return now.getUTCSeconds();
    case '@minute':
      return now.getUTCMinutes();
    case '@hour':
      return now.getUTCHours();
    case '@weekday':
      return now.getUTCDay();
    case '@day':
      return d;
    case '@month':
      return m + 1;
    case '@year':
      return y;
    case '@yesterday':
      return formatDate(day(-1));
    case '@tomorrow':
      return formatDate(day(1));
    case '@todayStart':
      return formatDate(new Date(Date.UTC(y, m, d)));
    case '@todayEnd':
      return formatDate(new Date(Date.UTC(y, m, d, 23, 59, 59, 999)));
    case '@monthStart':
      return formatDate(new Date(Date.UTC(y, m, 1)));
    case '@monthEnd':
      return formatDate(new Date(Date.UTC(y, m + 1, 0, 23, 59, 59, 999)));
    case '@yearStart':
      return formatDate(new Date(Date.UTC(y, 0, 1)));
    case '@yearEnd':
      return formatDate(new Date(Date.UTC(y, 11, 31, 23, 59, 59, 999)));
    default:
      return undefined;
  }
}
