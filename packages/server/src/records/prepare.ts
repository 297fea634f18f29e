import type { ErrorData } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import type { Collection } from '../schema/collection.ts';
import type { FieldModel, Modifier, ValueContext } from '../schema/field.ts';
import { fieldType } from '../schema/field-registry.ts';
import { isPasswordValue, type PasswordValue } from '../schema/fields/password.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { isUploadedFile } from '../schema/uploaded-file.ts';
import { randomFromPattern } from '../tools/pattern.ts';
import { nowDate } from '../tools/time.ts';

/** A body key split into its field and modifier (`name+`, `+name`, `name-`). */
function splitKey(key: string): { name: string; mod?: Modifier } {
  if (key.endsWith('+')) return { name: key.slice(0, -1), mod: 'append' };
  if (key.startsWith('+')) return { name: key.slice(1), mod: 'prepend' };
  if (key.endsWith('-')) return { name: key.slice(0, -1), mod: 'remove' };
  return { name: key };
}

/** What a viewer may do to an auth record beyond its own fields (PocketBase's manage access). */
export interface AuthWriteAccess {
  /** The collection's manageRule passes: email, verified and password may be set directly. */
  manage: boolean;
  /** The body's `oldPassword` matches the record's current password. */
  oldPasswordOk: boolean;
}

export interface PrepareOptions extends Partial<AuthWriteAccess> {
  superuser: boolean;
  /** Looks up which ids exist, for relation checks. */
  existingIds: ValueContext['existingIds'];
  /** The write's time (epoch ms), for autodate fields; the real now when absent. */
  now?: number | undefined;
}

/**
 * Lays a create/update body over a record's values and validates the result, field by
 * field in collection order (only the first error per field, like PocketBase). Returns
 * the new values; throws nothing: errors come back in `errors`.
 */
export async function prepareValues(
  c: Collection,
  body: Record<string, unknown>,
  previous: RecordValues | undefined,
  opts: PrepareOptions,
): Promise<{ values: RecordValues; errors: ErrorData; changed: Set<string> }> {
  const isNew = previous === undefined;
  const values: RecordValues = {};
  const changed = new Set<string>();
  const byName = new Map(c.fields.map((f) => [f.name, f]));
  for (const f of c.fields) {
    values[f.name] = previous ? previous[f.name] : fieldType(f.type).zero(f);
  }
  // matches PocketBase: plain keys first, then modifiers, shorter keys before longer ones
  const keys = Object.keys(body).sort((a, b) => a.length - b.length);
  for (const key of keys) {
    const { name, mod } = splitKey(key);
    const f = byName.get(name);
    if (!f) continue;
    const t = fieldType(f.type);
    if (t.readOnly) continue;
    // a secret is hidden yet a client sets it (a password); an auth record's tokenKey only a superuser
    if (f.hidden && !opts.superuser && !t.secret) continue;
    if (f.primaryKey && !isNew) continue;
    if (c.type === 'auth' && f.name === 'tokenKey' && !opts.superuser) continue;
    const raw = body[key];
    if (mod) {
      if (!t.modify) continue;
      values[name] = t.modify(values[name], mod, raw, f);
    } else {
      values[name] = t.normalize(raw, f);
    }
    changed.add(name);
  }
  // matches PocketBase: an auth record's form fields (password, passwordConfirm,
  // oldPassword, managed email and verified) are checked first, and alone
  if (c.type === 'auth') {
    const formErrors = authFormErrors(c, body, values, previous, opts);
    if (Object.keys(formErrors).length) return { values, errors: formErrors, changed };
  }
  const errors: ErrorData = {};
  const now = nowDate(opts.now);
  for (const f of c.fields) {
    const t = fieldType(f.type);
    if (f.type === 'autodate') {
      if ((isNew && f.onCreate) || (!isNew && f.onUpdate)) values[f.name] = now;
      continue;
    }
    if (f.type === 'text' && isNew && values[f.name] === '' && f.autogeneratePattern) {
      values[f.name] = randomFromPattern(String(f.autogeneratePattern));
    }
    if (f.type === 'password' && !isPasswordValue(values[f.name])) {
      values[f.name] = { hash: '' } satisfies PasswordValue;
    }
    const err = await t.validate(values[f.name], f, {
      isNew,
      previous: previous?.[f.name],
      existingIds: opts.existingIds,
    });
    if (err) errors[f.name] = err;
  }
  settleUploads(c, values);
  return { values, errors, changed };
}

/** New uploads become the names they are stored under (their bytes are already in place). */
function settleUploads(c: Collection, values: RecordValues): void {
  const name = (v: unknown) => (isUploadedFile(v) ? v.name : v);
  for (const f of c.fields) {
    if (f.type !== 'file') continue;
    const v = values[f.name];
    values[f.name] = Array.isArray(v) ? v.map(name) : name(v);
  }
}

const MISMATCH = fieldError(FieldCode.valuesMismatch, "Values don't match.");

/**
 * Matches PocketBase: only those who manage an auth collection (superusers, or viewers the
 * manageRule lets through) may mark a record verified or change its email directly; others
 * go through the verification and email-change flows.
 */
export function checkManagedFields(
  values: RecordValues,
  previous: RecordValues | undefined,
  errors: ErrorData,
): void {
  if (values.verified !== (previous ? previous.verified : false)) errors.verified ??= MISMATCH;
  if (previous && values.email !== previous.email) errors.email ??= MISMATCH;
}

/**
 * PocketBase's auth form checks, made before any field is validated: a new record needs
 * `password` and a matching `passwordConfirm`; either one given needs the other; without
 * manage access a new password needs the right `oldPassword`, and email and verified
 * cannot change directly. Only the first error of each key.
 */
function authFormErrors(
  c: Collection,
  body: Record<string, unknown>,
  values: RecordValues,
  previous: RecordValues | undefined,
  opts: PrepareOptions,
): ErrorData {
  const errors: ErrorData = {};
  const isNew = previous === undefined;
  const manage = opts.superuser || (opts.manage ?? false);
  if (!manage) checkManagedFields(values, previous, errors);
  if (!c.fields.some((f: FieldModel) => f.type === 'password' && f.name === 'password')) return errors;
  const text = (k: string) => {
    const v = body[k];
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  };
  const password = text('password');
  const confirm = text('passwordConfirm');
  const old = text('oldPassword');
  if (password === '' && (isNew || confirm !== '' || old !== '')) errors.password = fields.required();
  if (confirm === '' && (isNew || password !== '' || old !== '')) errors.passwordConfirm = fields.required();
  else if (confirm !== password) errors.passwordConfirm = MISMATCH;
  if (!isNew && !manage && (password !== '' || confirm !== '')) {
    if (old === '') errors.oldPassword = fields.required();
    else if (!opts.oldPasswordOk)
      errors.oldPassword = fieldError(FieldCode.invalidOldPassword, 'Missing or invalid old password.');
  }
  return errors;
}
