import type { ErrorData, FieldError } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import { type Collection, RULE_KEYS, TOKEN_KEYS } from './collection.ts';
import type { FieldModel } from './field.ts';
import { FIELD_TYPES } from './field-registry.ts';
import { parseIndex } from './indexes.ts';

const NAME_RE = /^\w+$/;
const RESERVED_FIELD_NAMES = [
  'null',
  'true',
  'false',
  '_rowid_',
  '_rowid',
  'collectionid',
  'collectionname',
  'expand',
];
const AUTH_RESERVED_FIELD_NAMES = ['passwordconfirm', 'oldpassword'];
/**
 * Names every JavaScript object already has (`__proto__`, `constructor`, `toString`, ...)
 * plus `prototype`: a record keyed by one would read or replace its prototype, and a
 * field named `__proto__` made every create in its collection fail.
 */
const OBJECT_KEY_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
/** Tables of the system itself; no collection may take their names. */
export const INTERNAL_TABLES = [
  '_collections',
  '_migrations',
  '_system_migrations',
  '_params',
  '_changes',
  '_buckets',
  '_objects',
  '_api_keys',
  '_external_auths',
  '_totps',
  '_passkeys',
  '_passkey_challenges',
  '_s3_keys',
  '_s3_uploads',
  '_s3_parts',
  '_tus_uploads',
];

/**
 * Checks a collection about to be saved against PocketBase's rules; returns the errors
 * keyed like the collection JSON (`name`, `fields.<i>.<option>`, `indexes.<i>`, ...).
 * `others` are all other stored collections.
 */
export function validateCollection(
  next: Collection,
  prev: Collection | undefined,
  others: Collection[],
): ErrorData {
  const errors: ErrorData = {};
  validateIdAndName(next, prev, others, errors);
  if (!['base', 'auth', 'view'].includes(next.type)) {
    errors.type = fields.notInList();
    return errors;
  }
  if (prev && prev.type !== next.type)
    errors.type = fieldError(FieldCode.collectionTypeChange, 'Collection type cannot be changed.');
  if (prev?.system && next.system) {
    for (const k of RULE_KEYS) {
      if (prev[k] !== next[k])
        errors[k] = fieldError(
          FieldCode.collectionSystemRuleChange,
          'System collection API rule cannot be changed.',
        );
    }
  }
  for (const k of [...RULE_KEYS, ...(next.type === 'auth' ? (['authRule', 'manageRule'] as const) : [])]) {
    const v = next[k];
    if (v !== null && typeof v !== 'string') errors[k] = fieldError(FieldCode.invalidRule, 'Invalid rule.');
  }
  if (next.type === 'auth' && next.manageRule === '') {
    errors.manageRule = fieldError(FieldCode.nilOrNotEmptyRequired, 'Cannot be blank.');
  }
  if (next.type === 'view') {
    for (const k of ['createRule', 'updateRule', 'deleteRule'] as const) {
      if (next[k] !== null) errors[k] = fieldError(FieldCode.nil, 'Must be blank.');
    }
    if (!next.viewQuery || !String(next.viewQuery).trim()) errors.viewQuery = fields.required();
    if (next.indexes.length)
      errors.indexes = fieldError(FieldCode.indexesNotSupported, "View collections don't support indexes.");
  }
  if (next.type === 'auth') validateAuthOptions(next, errors);
  const fieldErrors = validateFields(next, prev, others);
  if (Object.keys(fieldErrors).length) errors.fields = fieldErrors;
  if (next.type !== 'view') {
    const indexErrors = validateIndexes(next, others);
    if (indexErrors) errors.indexes = indexErrors;
  }
  return errors;
}

function validateIdAndName(
  next: Collection,
  prev: Collection | undefined,
  others: Collection[],
  errors: ErrorData,
): void {
  if (typeof next.id !== 'string' || next.id.length < 1 || next.id.length > 100 || !NAME_RE.test(next.id)) {
    errors.id = fieldError(FieldCode.invalidOrExistingId, 'The model id is invalid or already exists.');
  } else if (!prev && others.some((o) => o.id === next.id)) {
    errors.id = fieldError(FieldCode.invalidOrExistingId, 'The model id is invalid or already exists.');
  }
  const name = next.name;
  if (typeof name !== 'string' || name === '') {
    errors.name = fields.required();
  } else if (name.length > 255) {
    errors.name = fields.tooLong(255, {
      max: 255,
    });
  } else if (!NAME_RE.test(name)) {
    errors.name = fieldError(FieldCode.matchInvalid, 'Must be in a valid format.');
  } else if (/_via_/i.test(name)) {
    errors.name = fieldError(FieldCode.foundVia, 'The value cannot contain "_via_".');
  } else if (prev?.system && prev.name !== name) {
    errors.name = fieldError(
      FieldCode.collectionSystemNameChange,
      'System collection name cannot be changed.',
    );
  } else if (others.some((o) => o.name.toLowerCase() === name.toLowerCase())) {
    errors.name = fieldError(
      FieldCode.collectionNameExists,
      'Collection name must be unique (case insensitive).',
    );
  } else if (others.some((o) => o.id === name)) {
    errors.name = fieldError(
      FieldCode.collectionNameIdDuplicate,
      'The name must not match an existing collection id.',
    );
  } else if (
    INTERNAL_TABLES.includes(name.toLowerCase()) ||
    /^_(fb|fts)_/i.test(name) ||
    /^(sqlite_|pg_)/i.test(name)
  ) {
    errors.name = fieldError(
      FieldCode.collectionNameInvalid,
      "The name shouldn't match with an existing internal table.",
    );
  }
  if (prev && prev.system !== next.system) {
    errors.system = fieldError(
      FieldCode.collectionSystemFlagChange,
      'System collection state cannot be changed.',
    );
  }
}

function validateAuthOptions(c: Collection, errors: ErrorData): void {
  for (const k of TOKEN_KEYS) {
    const t = c[k];
    const e: ErrorData = {};
    if (!t || typeof t !== 'object') {
      errors[k] = fields.required();
      continue;
    }
    if (typeof t.duration !== 'number' || t.duration < 10 || t.duration > 94670856) {
      e.duration = fieldError(FieldCode.minGreaterEqualThanRequired, 'Must be between 10 and 94670856.');
    }
    if (typeof t.secret !== 'string' || t.secret.length < 30 || t.secret.length > 255) {
      e.secret = fieldError(FieldCode.lengthOutOfRange, 'The length must be between 30 and 255.', {
        min: 30,
        max: 255,
      });
    }
    if (Object.keys(e).length) errors[k] = e;
  }
  const pa = c.passwordAuth;
  if (pa && Array.isArray(pa.identityFields)) {
    for (const [i, name] of pa.identityFields.entries()) {
      const hasUnique = c.indexes.some((idx) => {
        const p = parseIndex(idx);
        return p?.unique && p.columns.length === 1 && p.columns[0]!.name === name;
      });
      if (!hasUnique) {
        errors.passwordAuth = {
          identityFields: {
            [i]: fieldError(
              FieldCode.missingUniqueConstraint,
              `The field ${name} doesn't have a UNIQUE constraint.`,
              {
                fieldName: name,
              },
            ),
          },
        };
      }
    }
  }
}

function validateFields(
  c: Collection,
  prev: Collection | undefined,
  others: Collection[],
): ErrorData | FieldError {
  // matches PocketBase's ensureNoSystemFieldsChange: one error for the whole list
  const systemChanged = prev?.fields.some((p) => {
    const f = c.fields.find((x) => x.id === p.id);
    return p.system && (!f || f.name !== p.name || !f.system);
  });
  if (systemChanged)
    return fieldError(FieldCode.systemFieldChange, 'System fields cannot be deleted or renamed.');
  const errors: ErrorData = {};
  const ids = new Set<string>();
  const names = new Set<string>();
  // relations store the target's id (PocketBase refuses a name): references, cascades
  // and delete checks all compare ids
  const typeOf = (id: string) => {
    if (id === c.id) return c.type;
    return others.find((o) => o.id === id)?.type;
  };
  c.fields.forEach((f, i) => {
    const e: Record<string, FieldError | ErrorData> = {};
    const t = FIELD_TYPES.get(f.type);
    if (!t) e.type = fields.notInList();
    if (typeof f.id !== 'string' || f.id === '' || f.id.length > 100 || ids.has(f.id)) {
      e.id = fieldError(FieldCode.duplicatedFieldId, `Duplicated or invalid field id "${f.id}".`);
    }
    ids.add(f.id);
    const lname = typeof f.name === 'string' ? f.name.toLowerCase() : '';
    if (!f.name || typeof f.name !== 'string') e.name = fields.required();
    else if (f.name.length > 100) e.name = fields.tooLong(100, { max: 100 });
    else if (!NAME_RE.test(f.name)) e.name = fieldError(FieldCode.matchInvalid, 'Must be in a valid format.');
    else if (RESERVED_FIELD_NAMES.includes(lname)) {
      e.name = fieldError(FieldCode.notInInvalid, 'Must not be in list.');
    } else if (OBJECT_KEY_NAMES.has(f.name)) {
      e.name = fieldError(FieldCode.reservedFieldName, 'The field name is reserved and cannot be used.');
    } else if (c.type === 'auth' && AUTH_RESERVED_FIELD_NAMES.includes(lname)) {
      // matches PocketBase's checkReservedAuthKeys
      e.name = fieldError(FieldCode.reservedFieldName, 'The field name is reserved and cannot be used.');
    } else if (/_via_/i.test(f.name))
      e.name = fieldError(FieldCode.foundVia, 'The value cannot contain "_via_".');
    else if (names.has(lname)) {
      e.name = fieldError(FieldCode.duplicatedFieldName, `Duplicated or invalid field name ${f.name}.`, {
        fieldName: f.name,
      });
    }
    names.add(lname);
    const before = prev?.fields.find((p) => p.id === f.id);
    if (t && !e.type) {
      const optErrors = t.validateOptions?.(f, {
        collectionType: typeOf,
        previous: before,
        ownerType: c.type,
      });
      if (optErrors) Object.assign(e, optErrors);
      if (f.primaryKey && c.type !== 'view' && f.name !== 'id') e.primaryKey = fields.invalidValue();
    }
    if (Object.keys(e).length) errors[i] = e;
  });
  if (c.type !== 'view' && !c.fields.some((f) => f.name === 'id' && f.primaryKey)) {
    errors.id = fieldError(FieldCode.missingPrimaryKey, 'Missing or invalid "id" PK field.');
  }
  return errors;
}

function validateIndexes(c: Collection, others: Collection[]): ErrorData | undefined {
  const errors: ErrorData = {};
  const seen = new Set<string>();
  const defs = new Set<string>();
  const otherNames = new Map<string, string>();
  for (const o of others) {
    for (const idx of o.indexes) {
      const p = parseIndex(idx);
      if (p) otherNames.set(p.name.toLowerCase(), o.name);
    }
  }
  c.indexes.forEach((text, i) => {
    const p = typeof text === 'string' ? parseIndex(text) : undefined;
    if (!p) {
      errors[i] = fieldError(FieldCode.invalidIndexExpression, 'Invalid CREATE INDEX expression.');
      return;
    }
    const missing = p.columns.find((col) => !c.fields.some((f) => f.name === col.name));
    if (missing || (p.where && !c.fields.some((f) => f.name === p.where!.notEmpty))) {
      errors[i] = fieldError(FieldCode.invalidIndexExpression, 'Invalid CREATE INDEX expression.');
      return;
    }
    const lname = p.name.toLowerCase();
    if (seen.has(lname)) {
      errors[i] = fieldError(FieldCode.duplicatedIndexName, 'The index name already exists.');
      return;
    }
    seen.add(lname);
    const used = otherNames.get(lname);
    if (used) {
      errors[i] = fieldError(
        FieldCode.existingIndexName,
        `The index name is already used in ${used} collection.`,
        {
          usedTableName: used,
        },
      );
      return;
    }
    const def = JSON.stringify([p.unique, p.columns, p.where]);
    if (defs.has(def))
      errors[i] = fieldError(FieldCode.duplicatedIndexDefinition, 'The index definition already exists.');
    defs.add(def);
  });
  return Object.keys(errors).length ? errors : undefined;
}

export type { FieldModel };
