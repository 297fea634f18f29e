import type { ErrorData } from '../../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { commonOptions, type FieldType, num, toText } from '../field.ts';
import { patternMismatch, patternOptionError } from './text.ts';

const DEFAULT_MAX = 71;

/**
 * A password's canonical value while a record is saved: the stored hash, plus the plain
 * text when the client set a new one (hashed by the record service before writing).
 */
export interface PasswordValue {
  hash: string;
  plain?: string;
}

export function isPasswordValue(v: unknown): v is PasswordValue {
  return typeof v === 'object' && v !== null && 'hash' in v;
}

export const passwordField: FieldType = {
  type: 'password',
  secret: true,
  defaults: () => ({ ...commonOptions(), cost: 0, max: 0, min: 0, pattern: '', required: false }),
  column: () => ({ kind: 'text' }),
  zero: () => '',
  normalize: (raw) => ({ hash: '', plain: toText(raw) }) satisfies PasswordValue,
  validateOptions(f): ErrorData | undefined {
    const min = num(f.min);
    const max = num(f.max);
    if (min < 0 || min > DEFAULT_MAX) {
      return {
        min: fields.atMost(DEFAULT_MAX),
      };
    }
    if (max !== 0 && (max < min || max > DEFAULT_MAX)) {
      return {
        max: fields.atMost(DEFAULT_MAX),
      };
    }
    const pattern =
      typeof f.pattern === 'string' && f.pattern !== '' ? patternOptionError(f.pattern) : undefined;
    return pattern ? { pattern } : undefined;
  },
  validate(value, f) {
    const p = value as PasswordValue;
    if (p.plain !== undefined && p.plain !== '') {
      const len = [...p.plain].length;
      const min = num(f.min);
      if (len < min) return fieldError(FieldCode.minTextConstraint, `Must be at least ${min} character(s).`);
      const max = num(f.max) || DEFAULT_MAX;
      if (len > max) return fieldError(FieldCode.maxTextConstraint, `Must be less than ${max} character(s).`);
      return patternMismatch(f.pattern, p.plain);
    }
    return f.required && !p.hash ? fields.required() : undefined;
  },
  encode: (v) => (v as PasswordValue).hash,
  decode: (raw) => ({ hash: raw === null || raw === undefined ? '' : String(raw) }) satisfies PasswordValue,
};
