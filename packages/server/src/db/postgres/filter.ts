// The PostgreSQL pieces of the filter compiler: jsonb operators, ILIKE, tsvector search.
import type { FilterDialect } from '../filter-dialect.ts';
import { likeEscape, quoteIdent } from '../ident.ts';
import { sql } from '../kysely.ts';
import { tsQuery } from './search.ts';

function pgPath(path: (string | number)[]): string {
  return `{${path.map((p) => `"${String(p).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** FilterDialect for PostgreSQL: JSON values are compared as jsonb, so numbers compare as numbers. */
export const pgFilter: FilterDialect = {
  lockForClaim: (query) => query.forUpdate().skipLocked(),
  ident: quoteIdent,
  bool: (value) => value,
  decodeBool: (value) => value === true,
  likeEscape,
  rowIdColumn: '_rowid',
  jsonArrayHas: (column, value) => sql<boolean>`(${sql.ref(column)} @> jsonb_build_array(${value}::text))`,
  joinJsonEach: (column, alias) =>
    sql`LEFT JOIN LATERAL jsonb_array_elements_text(${column}) AS ${sql.id(alias)}(value) ON TRUE`,
  jsonExtract: (column, path) =>
    sql`NULLIF(${path.length ? sql`(${column} #> ${pgPath(path)}::text[])` : column}, 'null'::jsonb)`,
  jsonExtractText: (column, path) => sql`(${column} #>> ${pgPath(path)}::text[])`,
  jsonLiteral: (value, type) =>
    sql`to_jsonb(CAST(${value} AS ${sql.raw(type === 'number' ? 'double precision' : type === 'bool' ? 'boolean' : 'text')}))`,
  toJson: (value) => sql`to_jsonb(${value})`,
  jsonArrayContains: (column, value) =>
    sql<boolean>`(${column} @> jsonb_build_array(CAST(${value} AS text)))`,
  jsonArrayLength: (column) =>
    sql<number>`(CASE WHEN jsonb_typeof(${column}) = 'array' THEN jsonb_array_length(${column}) END)`,
  isSame: (a, b) => sql<boolean>`(${a} IS NOT DISTINCT FROM ${b})`,
  isDistinct: (a, b) => sql<boolean>`(${a} IS DISTINCT FROM ${b})`,
  // PocketBase runs LIKE on SQLite, where it ignores ASCII case: ILIKE matches that
  like: (a, pattern, negate) =>
    sql<boolean>`(CAST(${a} AS text) ${sql.raw(negate ? 'NOT ILIKE' : 'ILIKE')} ${pattern} ESCAPE '\\')`,
  toText: (a) => sql<string>`CAST(${a} AS text)`,
  toNumber: (a, json) =>
    json
      ? sql<number>`(CASE WHEN jsonb_typeof(${a}) = 'number' THEN CAST(${a} AS double precision) END)`
      : sql<number>`CAST(${a} AS double precision)`,
  least: (a, b) => sql<number>`LEAST(${a}, ${b})`,
  strftime: (format, value) =>
    sql<string>`to_char(CAST(NULLIF(CAST(${value} AS text), '') AS timestamp), ${toCharFormat(format)})`,
  searchRank: (alias, _table, column, terms) => {
    const query = tsQuery(terms);
    if (!query) return sql<number>`0`;
    return sql<number>`(-ts_rank(to_tsvector('simple', ${sql.ref(`${alias}.${column}`)}), to_tsquery('simple', ${query})))`;
  },
  // each term as a prefix; to_tsquery input is built from quoted lexemes, never raw text
  search: (alias, _table, column, terms) => {
    const query = tsQuery(terms);
    if (!query) return sql<boolean>`(1 = 0)`;
    return sql<boolean>`(to_tsvector('simple', ${sql.ref(`${alias}.${column}`)}) @@ to_tsquery('simple', ${query}))`;
  },
  jsonToText: (a) => sql<string>`(${a} #>> '{}')`,
  jsonText: (text) => sql`CAST(${text} AS jsonb)`,
};

const TO_CHAR: Record<string, string> = {
  Y: 'YYYY',
  m: 'MM',
  d: 'DD',
  H: 'HH24',
  M: 'MI',
  S: 'SS',
  j: 'DDD',
};

/** strftime codes as a to_char pattern; literal text is double-quoted so it stays literal. */
function toCharFormat(format: string): string {
  let out = '';
  let literal = '';
  const flush = () => {
    if (literal) out += `"${literal.replaceAll('"', '\\"')}"`;
    literal = '';
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === '%' && i + 1 < format.length) {
      const code = format[++i]!;
      if (code === '%') literal += '%';
      else {
        flush();
        out += TO_CHAR[code] ?? '';
      }
    } else literal += ch;
  }
  flush();
  return out;
}
