import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportedFields } from '../../src/records/record-codec.ts';
import { type Collection, fieldWithDefaults } from '../../src/schema/collection.ts';
import { FIELD_TYPES, isSearchable, isSecret } from '../../src/schema/field-registry.ts';

// What the platform may do with each field type is declared once, on the type (FieldType
// traits in schema/field.ts); filters, exports, sorts, aggregates, mails and views read the
// traits instead of comparing type names.

test('each field type declares its traits', () => {
  const traits = Object.fromEntries(
    [...FIELD_TYPES.values()].map((t) => [
      t.type,
      [
        t.secret && 'secret',
        t.searchable && 'searchable',
        t.subPaths && `subPaths:${t.subPaths}`,
        t.list && 'list',
        t.jsonValue && 'jsonValue',
      ].filter(Boolean),
    ]),
  );
  assert.deepEqual(traits, {
    text: ['searchable'],
    editor: ['searchable'],
    number: [],
    bool: [],
    email: [],
    url: [],
    date: [],
    autodate: [],
    select: ['list'],
    json: ['subPaths:json', 'jsonValue'],
    file: ['list'],
    relation: ['subPaths:relation', 'list'],
    password: ['secret'],
    geoPoint: ['subPaths:json'],
  });
});

test('secrets are never exported; searchable needs the type and the option', () => {
  const field = (name: string, type: string, opts: Record<string, unknown> = {}) =>
    fieldWithDefaults({ name, type, ...opts });
  const c = {
    id: 'c1',
    name: 'people',
    type: 'auth',
    fields: [
      field('id', 'text'),
      field('password', 'password'),
      field('tokenKey', 'text'),
      field('bio', 'editor', { searchable: true }),
      field('nick', 'text'),
    ],
  } as unknown as Collection;
  assert.deepEqual(
    exportedFields(c).map((f) => f.name),
    ['id', 'bio', 'nick'],
  );
  assert.deepEqual(
    c.fields.filter(isSecret).map((f) => f.name),
    ['password'],
  );
  assert.deepEqual(
    c.fields.filter(isSearchable).map((f) => f.name),
    ['bio'],
  );
});
