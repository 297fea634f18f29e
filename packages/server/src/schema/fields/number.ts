import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { commonOptions, type FieldType } from '../field.ts';

/** Like PocketBase's cast: numbers stay, numeric text parses, anything else is 0. */
function toNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (t === '') return 0;
    const n = Number(t);
    return Number.isNaN(n) && t !== 'NaN' ? 0 : n;
  }
  return 0;
}

export const numberField: FieldType = {
  type: 'number',
  defaults: () => ({ ...commonOptions(), min: null, max: null, onlyInt: false, required: false }),
  column: () => ({ kind: 'number' }),
  zero: () => 0,
  normalize: (raw) => toNumber(raw),
  modify(current, mod, raw) {
    const cur = toNumber(current);
    const by = toNumber(raw);
    return mod === 'remove' ? cur - by : cur + by;
  },
  validateOptions(f) {
    const errors: Record<string, { code: string; message: string }> = {};
    for (const k of ['min', 'max'] as const) {
      if (f[k] !== null && f[k] !== undefined && (typeof f[k] !== 'number' || !Number.isFinite(f[k]))) {
        errors[k] = fields.invalidValue();
      }
    }
    if (typeof f.min === 'number' && typeof f.max === 'number' && f.max < f.min) {
      errors.max = fields.atLeast(f.min, {
        threshold: f.min,
      });
    }
    return Object.keys(errors).length ? errors : undefined;
  },
  validate(value, f) {
    const v = value as number;
    if (!Number.isFinite(v))
      return fieldError(FieldCode.notANumber, 'The submitted number is not properly formatted.');
    // matches PocketBase: zero counts as empty, so min/max are not checked for it
    if (v === 0) return f.required ? fields.required() : undefined;
    if (f.onlyInt && !Number.isInteger(v))
      return fieldError(FieldCode.onlyIntConstraint, 'Decimal numbers are not allowed.');
    if (typeof f.min === 'number' && v < f.min) {
      return fieldError(FieldCode.minNumberConstraint, `Must be greater or equal than ${f.min}.`, {
        min: f.min,
      });
    }
    if (typeof f.max === 'number' && v > f.max) {
      return fieldError(FieldCode.maxNumberConstraint, `Must be less or equal than ${f.max}.`, {
        max: f.max,
      });
    }
    return undefined;
  },
  encode: (v) => v,
  decode: (raw) => (typeof raw === 'number' ? raw : raw === null || raw === undefined ? 0 : Number(raw)),
};
