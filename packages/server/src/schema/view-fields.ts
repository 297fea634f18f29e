import type { ColumnKind } from '../db/database.ts';
import type { Collection } from './collection.ts';
import { defaultFieldId, fieldWithDefaults } from './collection.ts';
import type { FieldModel } from './field.ts';
import { fieldType, isSecret } from './field-registry.ts';

const KIND_TYPE: Record<string, string> = {
  text: 'text',
  number: 'number',
  bool: 'bool',
  json: 'json',
  jsonArray: 'json',
};

/** Names of the collections a SELECT reads from (FROM and JOIN clauses). */
function sourceNames(query: string): string[] {
  const out: string[] = [];
  for (const m of query.matchAll(/\b(?:from|join)\s+[`"[]?(\w+)[`"\]]?/gi)) out.push(m[1]!);
  return out;
}

const CAST_TYPES: Record<string, string> = {
  real: 'number',
  decimal: 'number',
  numeric: 'number',
  int: 'number',
  integer: 'number',
  text: 'text',
  boolean: 'bool',
  bool: 'bool',
};

/**
 * The type PocketBase gives an aliased `count(...)`/`total(...)` (number) or
 * `cast(... as T)` column (core/view.go). SQLite reports no type for expressions, so
 * without this they would all become json there while PostgreSQL knows their types.
 */
function expressionType(query: string, alias: string): string | undefined {
  const name = alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(
    `\\b(count|total|cast)\\s*\\(((?:[^()]|\\([^()]*\\))*)\\)\\s+as\\s+[\`"']?${name}[\`"']?(?=\\s|,|$)`,
    'i',
  );
  const m = re.exec(query);
  if (!m) return undefined;
  if (m[1]!.toLowerCase() !== 'cast') return 'number';
  const target = /\s+as\s+(\w+)\s*$/i.exec(m[2]!)?.[1]?.toLowerCase();
  return target ? CAST_TYPES[target] : undefined;
}

/**
 * Fields of a view collection, inferred from its query's columns: a column named like a
 * field of a source collection (with a compatible column) takes that field's definition,
 * any other column becomes a plain field of its SQL kind.
 */
export function inferViewFields(
  columns: { name: string; kind: ColumnKind | 'unknown' }[],
  query: string,
  collections: Collection[],
  previous: FieldModel[] = [],
): FieldModel[] {
  const sources = sourceNames(query)
    .map((n) => collections.find((c) => c.name.toLowerCase() === n.toLowerCase()))
    .filter((c): c is Collection => !!c);
  return columns.map((col) => {
    let field: FieldModel | undefined;
    for (const s of sources) {
      const f = s.fields.find((x) => x.name === col.name);
      if (
        f &&
        !isSecret(f) &&
        (col.kind === 'unknown' ||
          fieldType(f.type).column(f).kind === col.kind ||
          (col.kind === 'json' && fieldType(f.type).column(f).kind === 'jsonArray'))
      ) {
        field = { ...structuredClone(f), system: false, primaryKey: false, required: false };
        if (f.type === 'autodate') field = fieldWithDefaults({ ...field, type: 'autodate' });
        break;
      }
    }
    if (!field) {
      const type =
        col.name === 'id'
          ? 'text'
          : (KIND_TYPE[col.kind] ??
            (col.kind === 'unknown' ? expressionType(query, col.name) : undefined) ??
            'json');
      field = fieldWithDefaults({ name: col.name, type });
    }
    field.name = col.name;
    const prev = previous.find((p) => p.name === col.name && p.type === field!.type);
    field.id = prev?.id ?? defaultFieldId(field.type, col.name);
    if (col.name === 'id') Object.assign(field, { primaryKey: false, system: true, hidden: false });
    return field;
  });
}
