// How PostgreSQL stores each column kind, how kinds convert, and how result types read back.
import type { ColumnKind, ColumnSpec } from '../database.ts';
import { quoteIdent } from '../ident.ts';
import { type KindSql, zeroLiteral } from '../kinds.ts';

const OID = { int8: 20, int2: 21, int4: 23, float4: 700, float8: 701, numeric: 1700, json: 114, jsonb: 3802 };

/** Result parsers by type OID: JSON comes back as text in both dialects, numbers as JS numbers. */
export const typeParsers: Record<number, (v: string) => unknown> = {
  [OID.int8]: Number,
  [OID.numeric]: Number,
  [OID.json]: (v) => v,
  [OID.jsonb]: (v) => v,
};

/** The column kind of a result column's type OID, for views. */
export function oidKind(oid: number): ColumnKind | 'unknown' {
  if (oid === 25 || oid === 1043 || oid === 1042) return 'text';
  if ([OID.int2, OID.int4, OID.int8, OID.float4, OID.float8, OID.numeric].includes(oid)) return 'number';
  if (oid === 16) return 'bool';
  if (oid === OID.json || oid === OID.jsonb) return 'json';
  return 'unknown';
}

/** Column types and kind conversions for PostgreSQL. */
export const pgKinds: KindSql = {
  ident: quoteIdent,
  indexColumn: (name, nocase) => (nocase ? `lower(${quoteIdent(name)})` : quoteIdent(name)),
  columnDef(c: ColumnSpec): string {
    const name = quoteIdent(c.name);
    if (c.primaryKey) return `${name} TEXT PRIMARY KEY NOT NULL`;
    switch (c.kind) {
      case 'text':
        return `${name} TEXT DEFAULT '' NOT NULL`;
      case 'number':
        return `${name} DOUBLE PRECISION DEFAULT 0 NOT NULL`;
      case 'bool':
        return `${name} BOOLEAN DEFAULT FALSE NOT NULL`;
      case 'json':
        return `${name} JSONB DEFAULT NULL`;
      case 'jsonArray':
        return `${name} JSONB DEFAULT '[]' NOT NULL`;
    }
  },
  convert(col: string, from: ColumnKind, to: ColumnKind): string {
    if (from === to) return col;
    switch (`${from}>${to}`) {
      case 'text>number':
        return `(CASE WHEN trim(${col}) ~ '^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$' THEN trim(${col})::double precision ELSE 0 END)`;
      case 'text>bool':
        return `(lower(${col}) IN ('true', '1', 'yes', 'on'))`;
      case 'text>json':
        return `(CASE WHEN ${col} = '' THEN NULL ELSE to_jsonb(${col}) END)`;
      case 'text>jsonArray':
        return `(CASE WHEN ${col} = '' THEN '[]'::jsonb ELSE jsonb_build_array(${col}) END)`;
      case 'number>text':
        return `(CASE WHEN ${col} = trunc(${col}) THEN trunc(${col})::bigint::text ELSE ${col}::text END)`;
      case 'number>bool':
        return `(${col} <> 0)`;
      case 'number>json':
      case 'bool>json':
        return `to_jsonb(${col})`;
      case 'bool>text':
        return `(CASE WHEN ${col} THEN 'true' ELSE 'false' END)`;
      case 'bool>number':
        return `(CASE WHEN ${col} THEN 1 ELSE 0 END)`;
      case 'json>text':
        return `COALESCE(CASE WHEN jsonb_typeof(${col}) = 'string' THEN ${col} #>> '{}' ELSE ${col}::text END, '')`;
      case 'json>jsonArray':
        return `(CASE WHEN jsonb_typeof(${col}) = 'array' THEN ${col} ELSE '[]'::jsonb END)`;
      case 'jsonArray>text':
        return `COALESCE(${col} ->> -1, '')`;
      case 'jsonArray>json':
        return col;
      default:
        return zeroLiteral(to);
    }
  },
};
