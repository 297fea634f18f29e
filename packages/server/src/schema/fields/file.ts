import { type ErrorData, fieldError } from '../../errors/api-error.ts';
import {
  commonOptions,
  decodeList,
  type FieldType,
  isMulti,
  modifyMulti,
  normalizeMulti,
  num,
  REQUIRED,
} from '../field.ts';

const THUMB_RE = /^(\d+)x(\d+)(t|b|f)?$/;

/**
 * File names of a record. Uploads and blob storage come with the storage issue; here the
 * field keeps its options, its names and PocketBase's checks on them.
 */
export const fileField: FieldType = {
  type: 'file',
  defaults: () => ({
    ...commonOptions(),
    maxSelect: 0,
    maxSize: 0,
    mimeTypes: [],
    thumbs: [],
    protected: false,
    required: false,
  }),
  column: (f) => ({ kind: isMulti(f) ? 'jsonArray' : 'text' }),
  zero: (f) => (isMulti(f) ? [] : ''),
  normalize: normalizeMulti,
  modify: modifyMulti,
  validateOptions(f): ErrorData | undefined {
    const thumbs = (f.thumbs as unknown[] | null) ?? [];
    for (const [i, t] of thumbs.entries()) {
      if (typeof t !== 'string' || !THUMB_RE.test(t) || /^0x0/.test(t)) {
        return { thumbs: { [i]: fieldError('validation_invalid_thumb_format', 'Invalid thumb format.') } };
      }
    }
    if (num(f.maxSelect) < 0)
      return {
        maxSelect: fieldError('validation_min_greater_equal_than_required', 'Must be no less than 0.'),
      };
    return undefined;
  },
  validate(value, f, ctx) {
    const list = Array.isArray(value) ? (value as string[]) : value === '' ? [] : [value as string];
    if (list.length === 0) return f.required ? REQUIRED : undefined;
    // matches PocketBase: plain names are only accepted when the record already had them
    const before = decodeList(
      Array.isArray(ctx.previous)
        ? JSON.stringify(ctx.previous)
        : ctx.previous === '' || ctx.previous === undefined
          ? '[]'
          : JSON.stringify([ctx.previous]),
    );
    const invalid = list.filter((n) => !before.includes(n));
    // matches PocketBase: Go renders the list as `[a.txt b.txt]`, and names come before the count
    if (invalid.length) {
      return fieldError('validation_invalid_file', `Invalid new files: [${invalid.join(' ')}].`, {
        invalidFiles: invalid,
      });
    }
    const max = Math.max(num(f.maxSelect), 1);
    if (list.length > max) {
      return fieldError('validation_too_many_files', `The maximum allowed files is ${max}.`, {
        maxSelect: max,
      });
    }
    return undefined;
  },
  encode: (v, f) => (isMulti(f) ? JSON.stringify(v) : v),
  decode: (raw, f) => (isMulti(f) ? decodeList(raw) : raw === null || raw === undefined ? '' : String(raw)),
};
