import type { ColumnSpec, TablePlan } from '../db/database.ts';
import type { Collection } from './collection.ts';
import type { FieldModel } from './field.ts';
import { fieldType } from './field-registry.ts';
import { parseIndex } from './indexes.ts';

function columnOf(f: FieldModel): Pick<ColumnSpec, 'kind' | 'nullable'> {
  const c = fieldType(f.type).column(f);
  return { kind: c.kind, ...(c.nullable ? { nullable: true } : {}) };
}

/**
 * The table change that brings `prev` to `next`. Fields are matched by id, so a renamed
 * or retyped field keeps its data (converted when its column kind changes).
 */
export function planTable(next: Collection, prev: Collection | undefined): TablePlan {
  const columns: ColumnSpec[] = next.fields.map((f) => {
    const before = prev?.fields.find((p) => p.id === f.id);
    const col: ColumnSpec = { name: f.name, ...columnOf(f) };
    if (f.primaryKey) col.primaryKey = true;
    if (before) col.from = { name: before.name, kind: columnOf(before).kind };
    return col;
  });
  const indexes = next.indexes.map((text) => {
    const p = parseIndex(text)!;
    return { name: p.name, unique: p.unique, columns: p.columns, ...(p.where ? { where: p.where } : {}) };
  });
  return { ...(prev ? { from: prev.name } : {}), name: next.name, columns, indexes };
}

/** True when the table needs no change at all. */
export function planIsNoop(next: Collection, prev: Collection): boolean {
  if (next.name !== prev.name) return false;
  if (JSON.stringify(next.indexes) !== JSON.stringify(prev.indexes)) return false;
  if (next.fields.length !== prev.fields.length) return false;
  return next.fields.every((f, i) => {
    const p = prev.fields[i]!;
    return (
      p.id === f.id &&
      p.name === f.name &&
      columnOf(p).kind === columnOf(f).kind &&
      !!p.primaryKey === !!f.primaryKey
    );
  });
}
