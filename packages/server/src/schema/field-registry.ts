import type { FieldModel, FieldType } from './field.ts';
import { autodateField } from './fields/autodate.ts';
import { boolField } from './fields/bool.ts';
import { dateField } from './fields/date.ts';
import { editorField } from './fields/editor.ts';
import { emailField } from './fields/email.ts';
import { fileField } from './fields/file.ts';
import { geoPointField } from './fields/geo-point.ts';
import { jsonField } from './fields/json.ts';
import { numberField } from './fields/number.ts';
import { passwordField } from './fields/password.ts';
import { relationField } from './fields/relation.ts';
import { selectField } from './fields/select.ts';
import { textField } from './fields/text.ts';
import { urlField } from './fields/url.ts';

/** Every field type, listed explicitly (no self-registration). */
export const FIELD_TYPES: ReadonlyMap<string, FieldType> = new Map(
  [
    textField,
    editorField,
    numberField,
    boolField,
    emailField,
    urlField,
    dateField,
    autodateField,
    selectField,
    jsonField,
    fileField,
    relationField,
    passwordField,
    geoPointField,
  ].map((t) => [t.type, t]),
);

/** The type of a field; throws for an unknown type (collections are validated on save). */
export function fieldType(type: string): FieldType {
  const t = FIELD_TYPES.get(type);
  if (!t) throw new Error(`unknown field type ${type}`);
  return t;
}

/** True for a field of a secret type (passwords: see FieldType.secret). */
export function isSecret(f: FieldModel): boolean {
  return fieldType(f.type).secret === true;
}

/** True when the field has a full-text index: a searchable type with its `searchable` option on. */
export function isSearchable(f: FieldModel): boolean {
  return fieldType(f.type).searchable === true && f.searchable === true;
}
