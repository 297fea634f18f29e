import type { FieldError } from '../../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { randomFromPattern } from '../../tools/pattern.ts';
import { unsafeRegexReason } from '../../tools/regex-safety.ts';
import { commonOptions, type FieldModel, type FieldType, num, toText } from '../field.ts';

const DEFAULT_MAX = 5000;

/** Compiles a field's `pattern`, or undefined when it has none. Cached per pattern text. */
const patternCache = new Map<string, RegExp>();
function compilePattern(pattern: unknown): RegExp | undefined {
  if (typeof pattern !== 'string' || pattern === '') return undefined;
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

/**
 * Why a `pattern` option cannot be saved: not a valid RegExp, or one that can backtrack
 * exponentially (ReDoS, see tools/regex-safety.ts); undefined when it is fine.
 */
export function patternOptionError(pattern: string): FieldError | undefined {
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return fieldError(FieldCode.invalidRegex, (e as Error).message);
  }
  const unsafe = unsafeRegexReason(pattern);
  if (unsafe) {
    return fieldError(
      FieldCode.invalidRegex,
      `The pattern can take exponential time to match (${unsafe}): avoid quantified groups that contain quantifiers or alternations.`,
    );
  }
  return undefined;
}

/**
 * A value's failure against the field's `pattern`, or undefined when it matches (or the
 * field has none). A pattern saved before unsafe ones were refused is never run: the
 * value fails instead of stalling the process.
 */
export function patternMismatch(pattern: unknown, value: string): FieldError | undefined {
  const re = compilePattern(pattern);
  if (!re) return undefined;
  if (unsafeRegexReason(re.source)) {
    return fieldError(FieldCode.invalidRegex, "The field's pattern is unsafe; a superuser must change it.");
  }
  return re.test(value) ? undefined : fieldError(FieldCode.invalidFormat, 'Invalid value format.');
}

export const textField: FieldType = {
  type: 'text',
  searchable: true,
  defaults: () => ({
    ...commonOptions(),
    min: 0,
    max: 0,
    pattern: '',
    autogeneratePattern: '',
    required: false,
    primaryKey: false,
    // ForgeBase: full-text indexed, queried with search(field, "terms") in filters
    searchable: false,
  }),
  column: () => ({ kind: 'text' }),
  zero: () => '',
  normalize: (raw) => toText(raw),
  validateOptions(f) {
    const errors: Record<string, { code: string; message: string }> = {};
    if (num(f.min) < 0) errors.min = fields.atLeast(0);
    if (num(f.max) !== 0 && num(f.max) < num(f.min)) {
      errors.max = fieldError(FieldCode.minGreaterEqualThanRequired, `Must be no less than ${num(f.min)}.`);
    }
    if (typeof f.pattern === 'string' && f.pattern !== '') {
      const error = patternOptionError(f.pattern);
      if (error) errors.pattern = error;
    }
    const auto = f.autogeneratePattern;
    if (typeof auto === 'string' && auto !== '' && !errors.pattern) {
      try {
        const sample = randomFromPattern(auto);
        if (patternMismatch(f.pattern, sample)) {
          errors.autogeneratePattern = fieldError(
            FieldCode.invalidAutogeneratePatternValue,
            `The provided autogenerate pattern could produce invalid field values, ex.: "${sample}".`,
          );
        }
      } catch (e) {
        errors.autogeneratePattern = fieldError(FieldCode.invalidRegex, (e as Error).message);
      }
    }
    if (f.primaryKey) {
      if (f.name !== 'id') errors.name = fields.notInList();
      if (f.hidden) errors.hidden = fieldError(FieldCode.empty, 'Must be blank.');
      if (!f.pattern) errors.pattern = fields.required();
    }
    return Object.keys(errors).length ? errors : undefined;
  },
  validate(value, f: FieldModel) {
    const v = value as string;
    if (v === '') return f.required || f.primaryKey ? fields.required() : undefined;
    const len = [...v].length;
    const min = num(f.min);
    if (min > 0 && len < min) {
      return fieldError(FieldCode.minTextConstraint, `Must be at least ${min} character(s).`, { min });
    }
    const max = num(f.max) || DEFAULT_MAX;
    if (len > max) {
      return fieldError(FieldCode.maxTextConstraint, `Must be no more than ${max} character(s).`, {
        max,
      });
    }
    return patternMismatch(f.pattern, v);
  },
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
