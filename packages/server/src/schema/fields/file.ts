import type { ErrorData, FieldError } from '../../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import {
  commonOptions,
  decodeList,
  type FieldModel,
  type FieldType,
  isMulti,
  type Modifier,
  num,
  toUniqueStrings,
} from '../field.ts';
import { isUploadedFile, type UploadedFile } from '../uploaded-file.ts';

/** PocketBase's default maxSize (5 MiB) when the option is 0. */
export const DEFAULT_FILE_MAX_SIZE = 5 * 1024 * 1024;

/** The most bytes one file of this field may have. */
export function fileMaxSize(f: FieldModel): number {
  return num(f.maxSize) > 0 ? num(f.maxSize) : DEFAULT_FILE_MAX_SIZE;
}

/** The most files this field holds. */
export function fileMaxSelect(f: FieldModel): number {
  return Math.max(num(f.maxSelect), 1);
}

/** The field error of more files than `fileMaxSelect` allows. */
export function tooManyFiles(f: FieldModel): FieldError {
  const max = fileMaxSelect(f);
  return fieldError(FieldCode.tooManyFiles, `The maximum allowed files is ${max}.`, { maxSelect: max });
}

type FileValue = string | UploadedFile;

/** Names and new uploads, in order, names without duplicates. */
function toFileList(raw: unknown): FileValue[] {
  const items = Array.isArray(raw) ? raw : [raw];
  const out: FileValue[] = [];
  for (const item of items) {
    if (isUploadedFile(item)) out.push(item);
    else for (const n of toUniqueStrings(item)) if (!out.includes(n)) out.push(n);
  }
  return out;
}

function normalizeFiles(raw: unknown, f: FieldModel): FileValue | FileValue[] {
  const list = toFileList(raw);
  if (isMulti(f)) return list;
  return list.length ? list[list.length - 1]! : '';
}

/** `field+` appends (names or uploads), `+field` prepends, `field-` removes names. */
function modifyFiles(current: unknown, mod: Modifier, raw: unknown, f: FieldModel): FileValue | FileValue[] {
  const cur = toFileList(current);
  const given = toFileList(raw);
  if (mod === 'append') return normalizeFiles([...cur, ...given], f);
  if (mod === 'prepend') return normalizeFiles([...given, ...cur], f);
  return normalizeFiles(
    cur.filter((v) => isUploadedFile(v) || !given.includes(v)),
    f,
  );
}

const MIME_ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg' };
const canonicalMime = (t: string) => {
  const m = t.toLowerCase().split(';')[0]!.trim();
  return MIME_ALIASES[m] ?? m;
};

/** PocketBase's checks on one new upload: loose name, size, then type. */
function checkUpload(u: UploadedFile, f: FieldModel): FieldError | undefined {
  const max = fileMaxSize(f);
  if (u.tooLarge || u.size > max) {
    return fieldError(
      FieldCode.fileSizeLimit,
      `Failed to upload ${u.originalName.slice(0, 300)} - the maximum allowed file size is ${max} bytes.`,
      { file: u.originalName.slice(0, 300), maxSize: max },
    );
  }
  const allowed = ((f.mimeTypes as string[] | null) ?? []).filter((t) => typeof t === 'string' && t);
  if (allowed.length && !allowed.some((t) => canonicalMime(t) === canonicalMime(u.contentType))) {
    return fieldError(
      FieldCode.invalidMimeType,
      `${JSON.stringify(u.name)} mime type must be one of: ${allowed.join(', ')}.`,
    );
  }
  return undefined;
}

const THUMB_RE = /^(\d+)x(\d+)(t|b|f)?$/;

/**
 * File names of a record. A body may hold new uploads (UploadedFile, already in the blob
 * store) beside kept names; the write stores their names (records/record-files.ts).
 */
export const fileField: FieldType = {
  type: 'file',
  list: true,
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
  normalize: normalizeFiles,
  modify: modifyFiles,
  validateOptions(f): ErrorData | undefined {
    const thumbs = (f.thumbs as unknown[] | null) ?? [];
    for (const [i, t] of thumbs.entries()) {
      if (typeof t !== 'string' || !THUMB_RE.test(t) || /^0x0/.test(t)) {
        return { thumbs: { [i]: fieldError(FieldCode.invalidThumbFormat, 'Invalid thumb format.') } };
      }
    }
    if (num(f.maxSelect) < 0)
      return {
        maxSelect: fields.atLeast(0),
      };
    return undefined;
  },
  validate(value, f, ctx) {
    const all = toFileList(value);
    const list = all.filter((v): v is string => typeof v === 'string');
    if (all.length === 0) return f.required ? fields.required() : undefined;
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
      return fieldError(FieldCode.invalidFile, `Invalid new files: [${invalid.join(' ')}].`, {
        invalidFiles: invalid,
      });
    }
    if (all.length > fileMaxSelect(f)) return tooManyFiles(f);
    for (const u of all) {
      if (!isUploadedFile(u)) continue;
      const err = checkUpload(u, f);
      if (err) return err;
    }
    return undefined;
  },
  encode: (v, f) => {
    const names = (x: unknown) => (isUploadedFile(x) ? x.name : x);
    return isMulti(f) ? JSON.stringify(toFileList(v).map(names)) : names(v);
  },
  decode: (raw, f) => (isMulti(f) ? decodeList(raw) : raw === null || raw === undefined ? '' : String(raw)),
};
