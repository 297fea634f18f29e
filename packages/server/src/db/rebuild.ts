import type { ColumnSpec, IndexSpec, TablePlan, Transaction } from './database.ts';
import type { KindSql } from './kinds.ts';

/** CREATE TABLE for a plan's columns, plus any dialect extras (e.g. a row-order column). */
export function createTableSql(
  k: KindSql,
  name: string,
  columns: ColumnSpec[],
  extra: string[] = [],
): string {
  const defs = [...extra, ...columns.map((c) => k.columnDef(c))];
  return `CREATE TABLE ${k.ident(name)} (${defs.join(', ')})`;
}

export function createIndexSql(k: KindSql, table: string, idx: IndexSpec): string {
  const cols = idx.columns
    .map((c) => `${k.indexColumn(c.name, !!c.nocase)}${c.desc ? ' DESC' : ''}`)
    .join(', ');
  const where = idx.where ? ` WHERE ${k.ident(idx.where.notEmpty)} != ''` : '';
  return `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX ${k.ident(idx.name)} ON ${k.ident(table)} (${cols})${where}`;
}

/** True when the plan keeps every existing column unchanged and only appends new ones. */
export function isAppendOnly(plan: TablePlan, existing: string[]): boolean {
  if (!plan.from || plan.from !== plan.name) return false;
  const kept = plan.columns.filter((c) => c.from);
  if (kept.length !== existing.length) return false;
  return kept.every((c) => c.from!.name === c.name && c.from!.kind === c.kind && existing.includes(c.name));
}

/** The SELECT list that copies old rows into the rebuilt table. */
export function copySelectList(k: KindSql, columns: ColumnSpec[]): { names: string; values: string } {
  const withData = columns.filter((c) => c.from);
  return {
    names: withData.map((c) => k.ident(c.name)).join(', '),
    values: withData.map((c) => k.convert(k.ident(c.from!.name), c.from!.kind, c.kind)).join(', '),
  };
}

/** Runs several statements in order. */
export async function execAll(tx: Transaction, statements: string[]): Promise<void> {
  for (const s of statements) await tx.exec(s);
}
