import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { randomFromPattern } from '../../tools/pattern.ts';
import { commonOptions, type FieldModel, type FieldType, num, toText } from '../field.ts';

const DEFAULT_MAX = 5000;

/** Compiles a field's `pattern`, or undefined when it has none. Cached per pattern text. */
const patternCache = new Map<string, RegExp>();
export function compilePattern(pattern: unknown): RegExp | undefined {
  if (typeof pattern !== 'string' || pattern === '') return undefined;
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
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
    for (const key of ['pattern', 'autogeneratePattern'] as const) {
      const p = f[key];
      if (typeof p !== 'string' || p === '') continue;
      try {
        if (key === 'pattern') new RegExp(p, 'u');
        else {
          const sample = randomFromPattern(p);
          const re = compilePattern(f.pattern);
          if (re && !re.test(sample)) {
            errors[key] = fieldError(
              FieldCode.invalidAutogeneratePatternValue,
              `The provided autogenerate pattern could produce invalid field values, ex.: "${sample}".`,
            );
          }
        }
      } catch (e) {
        errors[key] = fieldError(FieldCode.invalidRegex, (e as Error).message);
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
    const re = compilePattern(f.pattern);
    if (re && !re.test(v)) return fieldError(FieldCode.invalidFormat, 'Invalid value format.');
    return undefined;
  },
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
