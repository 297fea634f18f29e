import { fieldError } from '../../errors/api-error.ts';
import { formatDate, parseDate } from '../../tools/time.ts';
import { commonOptions, type FieldType, REQUIRED } from '../field.ts';

/** Client input → stored date text; anything unparseable is empty, like PocketBase. */
export function toDateText(raw: unknown): string {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? '' : formatDate(raw);
  if (typeof raw === 'number') return Number.isFinite(raw) ? formatDate(new Date(raw * 1000)) : '';
  if (typeof raw !== 'string' || raw.trim() === '') return '';
  return parseDate(raw) ?? '';
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
        errors[k] = fieldError('validation_date_invalid', 'Must be a valid date.');
      }
    }
    return Object.keys(errors).length ? errors : undefined;
  },
  validate(value, f) {
    const v = value as string;
    if (v === '') return f.required ? REQUIRED : undefined;
    const min = toDateText(f.min);
    const max = toDateText(f.max);
    if (min && v < min) {
      return fieldError('validation_min_greater_equal_than_required', `Must be no less than ${min}.`, {
        threshold: min,
      });
    }
    if (max && v > max) {
      return fieldError('validation_max_less_equal_than_required', `Must be no greater than ${max}.`, {
        threshold: max,
      });
    }
    return undefined;
  },
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
