import type { ColumnKind, ColumnSpec } from './database.ts';

/**
 * How each dialect spells the pieces of a table rebuild. The rebuild itself
 * (`rebuild.ts`) is shared; these are the only differences.
 */
export interface KindSql {
  ident(name: string): string;
  /** An index column, case-insensitive when `nocase`. */
  indexColumn(name: string, nocase: boolean): string;
  columnDef(col: ColumnSpec): string;
  /** An expression turning column `col` of kind `from` into a value of kind `to`. */
  convert(col: string, from: ColumnKind, to: ColumnKind): string;
}

/** The value a new NOT NULL column starts with. */
export function zeroLiteral(kind: ColumnKind): string {
  switch (kind) {
    case 'text':
      return "''";
    case 'number':
      return '0';
    case 'bool':
      return 'FALSE';
    case 'jsonArray':
      return "'[]'";
    case 'json':
      return 'NULL';
  }
}
