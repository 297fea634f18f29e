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
