import { fields } from '../../errors/codes.ts';
import { commonOptions, type FieldType } from '../field.ts';

// matches PocketBase (Go's strconv.ParseBool): any other text is false
const TRUE_TEXT = new Set(['1', 't', 'true']);

export const boolField: FieldType = {
  type: 'bool',
  defaults: () => ({ ...commonOptions(), required: false }),
  column: () => ({ kind: 'bool' }),
  zero: () => false,
  normalize(raw) {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'number') return raw !== 0;
    if (typeof raw === 'string') return TRUE_TEXT.has(raw.trim().toLowerCase());
    return false;
  },
  // matches PocketBase: a required bool must be true
  validate: (value, f) => (f.required && value !== true ? fields.required() : undefined),
  encode: (v) => v,
  decode: (raw) => raw === true || raw === 1 || raw === '1' || raw === 'true',
};
