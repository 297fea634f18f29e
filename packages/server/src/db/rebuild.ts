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

/** What a dialect adds to the shared table-plan algorithm below. */
export interface TableDialect {
  kinds: KindSql;
  /** The column that keeps insertion order, copied as is on a rebuild. */
  rowIdColumn: string;
  /** Column definitions every table gets besides its fields (e.g. a row-order column). */
  extraColumns: string[];
  existingColumns(tx: Transaction, table: string): Promise<string[]>;
  existingIndexes(tx: Transaction, table: string): Promise<string[]>;
  dropTableSql(table: string): string;
  /** Statements around a rebuild: before it, and after the new table took the old name. */
  rebuildWrap(tmp: string, name: string): { before: string[]; after: string[] };
}

/**
 * Brings a table to a plan's shape without losing rows: create when new; append columns
 * in place when that is all; otherwise rebuild (copy rows with kind conversions into a
 * new table, drop the old one, rename). Indexes are dropped and recreated either way.
 */
export async function applyTablePlan(d: TableDialect, tx: Transaction, plan: TablePlan): Promise<void> {
  const k = d.kinds;
  const indexes = plan.indexes.map((i) => createIndexSql(k, plan.name, i));
  if (!plan.from) {
    await execAll(tx, [createTableSql(k, plan.name, plan.columns, d.extraColumns), ...indexes]);
    return;
  }
  const existing = await d.existingColumns(tx, plan.from);
  const statements = (await d.existingIndexes(tx, plan.from)).map((name) => `DROP INDEX ${k.ident(name)}`);
  if (isAppendOnly(plan, existing)) {
    for (const c of plan.columns.filter((c) => !c.from)) {
      statements.push(`ALTER TABLE ${k.ident(plan.name)} ADD COLUMN ${k.columnDef(c)}`);
    }
  } else {
    const tmp = `_fb_rebuild_${plan.name}`;
    const copy = copySelectList(k, plan.columns);
    const rowid = k.ident(d.rowIdColumn);
    const wrap = d.rebuildWrap(tmp, plan.name);
    statements.push(
      ...wrap.before,
      createTableSql(k, tmp, plan.columns, d.extraColumns),
      `INSERT INTO ${k.ident(tmp)} (${[rowid, copy.names].filter(Boolean).join(', ')}) SELECT ${[rowid, copy.values].filter(Boolean).join(', ')} FROM ${k.ident(plan.from)}`,
      d.dropTableSql(plan.from),
      `ALTER TABLE ${k.ident(tmp)} RENAME TO ${k.ident(plan.name)}`,
      ...wrap.after,
    );
  }
  await execAll(tx, [...statements, ...indexes]);
}
