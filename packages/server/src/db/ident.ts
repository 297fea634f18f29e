/**
 * Quotes an SQL identifier (both dialects use double quotes, doubled inside). Every
 * table, column and index name that reaches SQL text goes through here.
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal for SQL text (DDL cannot bind parameters). */
export function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The escape character of every LIKE pattern we build (`like()` says `ESCAPE '\\'`). */
export const LIKE_ESCAPE = '\\';

/** Escapes LIKE's wildcards and the escape character, so `text` matches literally. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `${LIKE_ESCAPE}${c}`);
}
