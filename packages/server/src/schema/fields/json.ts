import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { commonOptions, type FieldType, num } from '../field.ts';

const DEFAULT_MAX_SIZE = 1024 * 1024;
const RAW_JSON_START = /^\s*[-0-9"[{]/;

/**
 * Client input as JSON text. Like PocketBase, a string that already is
 * JSON (a number, string, array, object, null, true or false) is kept; any other string is
 * stored as a JSON string.
 */
function toJsonText(raw: unknown): string {
  if (raw === undefined) return 'null';
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (t === 'null' || t === 'true' || t === 'false') return t;
    if (RAW_JSON_START.test(t)) {
      try {
        JSON.parse(t);
        return t;
      } catch {
        // not JSON: fall through and store it as a string
      }
    }
    return JSON.stringify(raw);
  }
  return JSON.stringify(raw) ?? 'null';
}

/** The JSON text of a canonical value (what is stored and what maxSize measures). */
function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** PocketBase's empty JSON values, which a required field refuses: null, "", [] and {}. */
function isEmptyJson(value: unknown): boolean {
  if (value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

// The canonical value is the parsed JSON (what a record shows), both after client input
// and after reading a row.
export const jsonField: FieldType = {
  type: 'json',
  subPaths: 'json',
  jsonValue: true,
  defaults: () => ({ ...commonOptions(), maxSize: 0, required: false }),
  column: () => ({ kind: 'json', nullable: true }),
  zero: () => null,
  normalize: (raw) => JSON.parse(toJsonText(raw)),
  validate(value, f) {
    const maxSize = num(f.maxSize) > 0 ? num(f.maxSize) : DEFAULT_MAX_SIZE;
    if (Buffer.byteLength(jsonText(value)) > maxSize) {
      return fieldError(FieldCode.jsonSizeLimit, `The maximum allowed JSON size is ${maxSize} bytes.`, {
        maxSize,
      });
    }
    if (f.required && isEmptyJson(value)) return fields.required();
    return undefined;
  },
  encode: (v) => (v === null || v === undefined ? null : jsonText(v)),
  decode(raw) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'string') return raw;
    try {
      return JSON.parse(raw);
    } catch {
      return null;
    }
  },
};
