// How SQLite stores each column kind, and how a kind converts to another on a rebuild.
import type { ColumnKind, ColumnSpec } from '../database.ts';
import { quoteIdent } from '../ident.ts';
import { type KindSql, zeroLiteral } from '../kinds.ts';

/** Column types and kind conversions for SQLite. */
export const sqliteKinds: KindSql = {
  ident: quoteIdent,
  indexColumn: (name, nocase) => `${quoteIdent(name)}${nocase ? ' COLLATE NOCASE' : ''}`,
  columnDef(c: ColumnSpec): string {
    const name = quoteIdent(c.name);
    if (c.primaryKey) return `${name} TEXT PRIMARY KEY NOT NULL`;
    switch (c.kind) {
      case 'text':
        return `${name} TEXT DEFAULT '' NOT NULL`;
      case 'number':
        // REAL, not NUMERIC: integers past 2^53 would come back as int64 and fail to read
        return `${name} REAL DEFAULT 0 NOT NULL`;
      case 'bool':
        return `${name} BOOLEAN DEFAULT FALSE NOT NULL`;
      case 'json':
        return `${name} JSON DEFAULT NULL`;
      case 'jsonArray':
        return `${name} JSON DEFAULT '[]' NOT NULL`;
    }
  },
  convert(col: string, from: ColumnKind, to: ColumnKind): string {
    if (from === to) return col;
    const key = `${from}>${to}`;
    switch (key) {
      case 'text>number':
        return `CAST(${col} AS REAL)`;
      case 'text>bool':
        return `(lower(${col}) IN ('true', '1', 'yes', 'on'))`;
      case 'text>json':
        return `(CASE WHEN ${col} = '' THEN NULL ELSE json_quote(${col}) END)`;
      case 'text>jsonArray':
        return `(CASE WHEN ${col} = '' THEN '[]' ELSE json_array(${col}) END)`;
      case 'number>text':
      case 'number>json':
        // REAL 7.0 reads back as 7: keep integral values free of the ".0"
        return `(CASE WHEN ${col} = CAST(${col} AS INTEGER) THEN CAST(CAST(${col} AS INTEGER) AS TEXT) ELSE CAST(${col} AS TEXT) END)`;
      case 'number>bool':
        return `(${col} != 0)`;
      case 'bool>text':
        return `(CASE WHEN ${col} THEN 'true' ELSE 'false' END)`;
      case 'bool>number':
        return `(CASE WHEN ${col} THEN 1 ELSE 0 END)`;
      case 'bool>json':
        return `(CASE WHEN ${col} THEN 'true' ELSE 'false' END)`;
      case 'json>text':
        return `COALESCE(CASE WHEN json_type(${col}) = 'text' THEN json_extract(${col}, '$') ELSE ${col} END, '')`;
      case 'json>jsonArray':
        return `(CASE WHEN json_type(${col}) = 'array' THEN ${col} ELSE '[]' END)`;
      case 'jsonArray>text':
        return `COALESCE(json_extract(${col}, '$[#-1]'), '')`;
      case 'jsonArray>json':
        return col;
      default:
        return zeroLiteral(to);
    }
  },
};

/** The column kind of a declared SQLite type (as our DDL writes them), for views. */
export function declaredKind(type: string | null): ColumnKind | 'unknown' {
  const t = (type ?? '').toUpperCase();
  if (t === 'TEXT') return 'text';
  if (t === 'NUMERIC' || t === 'REAL' || t === 'INTEGER') return 'number';
  if (t === 'BOOLEAN') return 'bool';
  if (t === 'JSON') return 'json';
  return 'unknown';
}
