import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { formatDate, parseDate } from '../../tools/time.ts';
import { commonOptions, type FieldType } from '../field.ts';

/** Client input → stored date text; anything unparseable is empty, like PocketBase. */
export function toDateText(raw: unknown): string {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? '' : formatDate(raw);
  if (typeof raw === 'number') return Number.isFinite(raw) ? formatDate(new Date(raw * 1000)) : '';
  if (typeof raw !== 'string' || raw.trim() === '') return '';
  return parseDate(raw) ?? '';
}

/**
 * A stored date as PocketBase's ozzo Min/Max error shows its time.Time threshold: Go's
 * `String()` in the message (`2024-01-01 00:00:00 +0000 UTC`) and RFC 3339 in params.
 */
function goThreshold(stored: string): { text: string; json: string } {
  const [day = '', time = ''] = stored.replace(/Z$/, '').split(' ');
  const [hms = '', fraction = ''] = time.split('.');
  const digits = fraction.replace(/0+$/, '');
  const clock = digits ? `${hms}.${digits}` : hms;
  return { text: `${day} ${clock} +0000 UTC`, json: `${day}T${clock}Z` };
}

export const dateField: FieldType = {
  type: 'date',
  defaults: () => ({ ...commonOptions(), min: '', max: '', required: false }),
  column: () => ({ kind: 'text' }),
  zero: () => '',
  normalize: (raw) => toDateText(raw),
  validateOptions(f) {
    const errors: Record<string, { code: string; message: string }> = {};
    for (const k of ['min', 'max'] as const) {
      const v = f[k];
      if (v !== '' && v !== null && v !== undefined && toDateText(v) === '') {
        errors[k] = fieldError(FieldCode.dateInvalid, 'Must be a valid date.');
      }
    }
    return Object.keys(errors).length ? errors : undefined;
  },
  validate(value, f) {
    const v = value as string;
    if (v === '') return f.required ? fields.required() : undefined;
    const min = toDateText(f.min);
    const max = toDateText(f.max);
    if (min && v < min) {
      const t = goThreshold(min);
      return fields.atLeast(t.text, {
        threshold: t.json,
      });
    }
    if (max && v > max) {
      const t = goThreshold(max);
      return fields.atMost(t.text, {
        threshold: t.json,
      });
    }
    return undefined;
  },
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
