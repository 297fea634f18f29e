import { type ErrorData, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import type { Rule } from '../schema/collection.ts';

/**
 * A storage bucket (ForgeBase's own, Supabase-like): a named set of objects with an
 * access mode, upload limits and rules in the filter language over its objects.
 */
export interface Bucket {
  id: string;
  name: string;
  /** Anyone may download objects (listing and writing still follow the rules). */
  public: boolean;
  /** Allowed content types (`image/png`, `image/*`); empty allows every type. */
  allowedMimeTypes: string[];
  /** The largest object in bytes; 0 means no limit. */
  maxSize: number;
  listRule: Rule;
  viewRule: Rule;
  createRule: Rule;
  updateRule: Rule;
  deleteRule: Rule;
  created: string;
  updated: string;
}

export const BUCKET_RULES = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const;

/** S3's bucket naming rules, so every bucket is reachable through the S3 API too. */
const NAME_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Names that are path words of the storage API (`/api/storage/object/list/...`). */
const RESERVED = new Set(['list', 'move', 'copy', 'sign', 'upload', 'info', 'public', 'render']);
const MIME_RE = /^[\w.+-]+\/(?:\*|[\w.+-]+)$/;

/** The bucket fields a client may set. */
export type BucketInput = Partial<Omit<Bucket, 'id' | 'created' | 'updated'>>;

/**
 * Validates a create (no `current`) or update body and returns the bucket fields it sets;
 * throws a 400 with per-field errors. `ruleProblem` checks a rule's text.
 */
export function parseBucketInput(
  body: Record<string, unknown>,
  current: Bucket | undefined,
  ruleProblem: (rule: string) => string | undefined,
): BucketInput {
  const errors: ErrorData = {};
  const out: BucketInput = {};
  if (body.name !== undefined || !current) {
    const name = body.name;
    if (typeof name !== 'string' || name === '') errors.name = fields.required();
    else if (RESERVED.has(name))
      errors.name = fieldError(FieldCode.reservedBucketName, `"${name}" is reserved by the storage API.`);
    else if (!NAME_RE.test(name) || name.includes('..'))
      errors.name = fieldError(
        FieldCode.invalidBucketName,
        'Use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.',
      );
    else out.name = name;
  }
  if (body.public !== undefined) {
    if (typeof body.public !== 'boolean') errors.public = fields.notBool();
    else out.public = body.public;
  }
  if (body.allowedMimeTypes !== undefined && body.allowedMimeTypes !== null) {
    const list = body.allowedMimeTypes;
    if (!Array.isArray(list) || list.some((m) => typeof m !== 'string' || !MIME_RE.test(m)))
      errors.allowedMimeTypes = fieldError(
        FieldCode.invalidMimeTypes,
        'Must be a list of content types such as "image/png" or "image/*".',
      );
    else out.allowedMimeTypes = [...new Set(list as string[])];
  }
  if (body.maxSize !== undefined && body.maxSize !== null) {
    const n = body.maxSize;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      errors.maxSize = fieldError(FieldCode.invalidMaxSize, 'Must be a whole number of bytes, 0 or more.');
    else out.maxSize = n;
  }
  for (const key of BUCKET_RULES) {
    if (!(key in body)) continue;
    const rule = body[key];
    if (rule !== null && typeof rule !== 'string') {
      errors[key] = fieldError(FieldCode.invalidRule, 'Must be a filter, an empty string or null.');
      continue;
    }
    const problem = rule === null ? undefined : ruleProblem(rule);
    if (problem) errors[key] = fieldError(FieldCode.invalidRule, `Invalid rule: ${problem}.`);
    else out[key] = rule;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError('Failed to save the bucket.', errors);
  return out;
}

/** Whether a content type is allowed by a bucket's list (`image/*` matches any image). */
export function mimeAllowed(bucket: Bucket, contentType: string): boolean {
  if (bucket.allowedMimeTypes.length === 0) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return bucket.allowedMimeTypes.some((m) => {
    const allowed = m.toLowerCase();
    return allowed.endsWith('/*') ? type.startsWith(allowed.slice(0, -1)) : type === allowed;
  });
}

/**
 * Checks an object name: 1 to 1024 bytes, `/`-separated segments that are neither empty
 * nor `.`/`..`, no control characters. Throws a 400 naming the problem.
 */
export function checkObjectName(name: string): string {
  const ok =
    name.length > 0 &&
    Buffer.byteLength(name) <= 1024 &&
    ![...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) &&
    name.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok)
    throw new ValidationError('Invalid object name.', {
      name: fieldError(
        FieldCode.invalidObjectName,
        'Use 1 to 1024 bytes of /-separated parts, none empty, "." or "..", without control characters.',
      ),
    });
  return name;
}
