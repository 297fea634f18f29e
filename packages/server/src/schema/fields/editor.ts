import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { commonOptions, type FieldType, num, toText } from '../field.ts';

const DEFAULT_MAX_SIZE = 5 * 1024 * 1024;

export const editorField: FieldType = {
  type: 'editor',
  searchable: true,
  defaults: () => ({
    ...commonOptions(),
    maxSize: 0,
    convertURLs: false,
    required: false,
    searchable: false,
  }),
  column: () => ({ kind: 'text' }),
  zero: () => '',
  normalize: (raw) => toText(raw),
  validate(value, f) {
    const v = value as string;
    if (v === '') return f.required ? fields.required() : undefined;
    const maxSize = num(f.maxSize) > 0 ? num(f.maxSize) : DEFAULT_MAX_SIZE;
    if (Buffer.byteLength(v) > maxSize) {
      return fieldError(FieldCode.contentSizeLimit, `The maximum allowed content size is ${maxSize} bytes.`, {
        maxSize,
      });
    }
    return undefined;
  },
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
