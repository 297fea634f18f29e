import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { FieldModel } from '../schema/field.ts';
import { fieldType, isSecret } from '../schema/field-registry.ts';
import type { RecordValues } from '../schema/record-values.ts';

/** Decodes a table row into canonical values for every field of the collection. */
export function decodeRow(c: Collection, row: Record<string, unknown>): RecordValues {
  const out: RecordValues = {};
  for (const f of c.fields) out[f.name] = fieldType(f.type).decode(row[f.name], f);
  return out;
}

/**
 * The fields a record may ever be exported with: all but its secrets (passwords, an auth
 * record's tokenKey). A superuser's export, and so the change log, carries exactly these.
 */
export function exportedFields(c: Collection): FieldModel[] {
  return c.fields.filter((f) => !isSecret(f) && !(c.type === 'auth' && f.name === 'tokenKey'));
}

/**
 * The record as a client sees it (PocketBase's export): collectionId, collectionName, then
 * fields in collection order. Hidden fields are only shown to superusers; password and
 * tokenKey never; an auth record's email only when visible, owned, or to a superuser.
 */
export function exportRecord(c: Collection, values: RecordValues, viewer: Viewer): Record<string, unknown> {
  const out: Record<string, unknown> = { collectionId: c.id, collectionName: c.name };
  const isAuth = c.type === 'auth';
  for (const f of exportedFields(c)) {
    if (f.hidden && !viewer.superuser) continue;
    out[f.name] = values[f.name];
  }
  if (isAuth && !viewer.superuser && !values.emailVisibility) {
    const owner = viewer.authCollectionId === c.id && viewer.authId === values.id;
    if (!owner) delete out.email;
  }
  return out;
}
