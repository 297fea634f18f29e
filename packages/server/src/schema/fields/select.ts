import type { ErrorData } from '../../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import {
  commonOptions,
  decodeList,
  type FieldType,
  isMulti,
  modifyMulti,
  normalizeMulti,
  num,
} from '../field.ts';

export const selectField: FieldType = {
  type: 'select',
  list: true,
  defaults: () => ({ ...commonOptions(), maxSelect: 0, values: [], required: false }),
  column: (f) => ({ kind: isMulti(f) ? 'jsonArray' : 'text' }),
  zero: (f) => (isMulti(f) ? [] : ''),
  normalize: normalizeMulti,
  modify: modifyMulti,
  validateOptions(f): ErrorData | undefined {
    const values = f.values;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.some((v) => typeof v !== 'string' || v === '')
    ) {
      return { values: fields.required() };
    }
    if (new Set(values).size !== values.length)
      return { values: fieldError(FieldCode.duplicatedValues, 'Duplicated values.') };
    const max = num(f.maxSelect);
    if (max < 0 || max > values.length) {
      return {
        maxSelect: fields.atMost(values.length, {
          threshold: values.length,
        }),
      };
    }
    return undefined;
  },
  validate(value, f) {
    const list = Array.isArray(value) ? (value as string[]) : value === '' ? [] : [value as string];
    if (list.length === 0) return f.required ? fields.required() : undefined;
    const max = Math.max(num(f.maxSelect), 1);
    if (list.length > max) {
      return fieldError(FieldCode.tooManyValues, `Select no more than ${max}.`, { maxSelect: max });
    }
    const allowed = (f.values as string[]) ?? [];
    for (const v of list) {
      if (!allowed.includes(v))
        return fieldError(FieldCode.invalidValue, `Invalid value ${v}.`, { value: v });
    }
    return undefined;
  },
  encode: (v, f) => (isMulti(f) ? JSON.stringify(v) : v),
  decode: (raw, f) => (isMulti(f) ? decodeList(raw) : raw === null || raw === undefined ? '' : String(raw)),
};
