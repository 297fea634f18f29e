/**
 * SQLite result codes by number, named as libSQL's servers name them in Hrana errors
 * (`SQLITE_CONSTRAINT_UNIQUE`, …), so `LibsqlError.code` reads the same against ForgeBase
 * as against sqld. See https://www.sqlite.org/rescode.html.
 */
const PRIMARY: Record<number, string> = {
  1: 'ERROR',
  2: 'INTERNAL',
  3: 'PERM',
  4: 'ABORT',
  5: 'BUSY',
  6: 'LOCKED',
  7: 'NOMEM',
  8: 'READONLY',
  9: 'INTERRUPT',
  10: 'IOERR',
  11: 'CORRUPT',
  12: 'NOTFOUND',
  13: 'FULL',
  14: 'CANTOPEN',
  15: 'PROTOCOL',
  16: 'EMPTY',
  17: 'SCHEMA',
  18: 'TOOBIG',
  19: 'CONSTRAINT',
  20: 'MISMATCH',
  21: 'MISUSE',
  22: 'NOLFS',
  23: 'AUTH',
  24: 'FORMAT',
  25: 'RANGE',
  26: 'NOTADB',
};

/** The extended codes a client tells apart (constraint kinds above all). */
const EXTENDED: Record<number, string> = {
  275: 'CONSTRAINT_CHECK',
  531: 'CONSTRAINT_COMMITHOOK',
  787: 'CONSTRAINT_FOREIGNKEY',
  1043: 'CONSTRAINT_FUNCTION',
  1299: 'CONSTRAINT_NOTNULL',
  1555: 'CONSTRAINT_PRIMARYKEY',
  1811: 'CONSTRAINT_TRIGGER',
  2067: 'CONSTRAINT_UNIQUE',
  2323: 'CONSTRAINT_VTAB',
  2579: 'CONSTRAINT_ROWID',
  2835: 'CONSTRAINT_PINNED',
  3091: 'CONSTRAINT_DATATYPE',
  264: 'ABORT_ROLLBACK',
  261: 'BUSY_RECOVERY',
  517: 'BUSY_SNAPSHOT',
  1032: 'READONLY_DBMOVED',
};

/** `SQLITE_<NAME>` of a (possibly extended) result code. */
export function sqliteCodeName(errcode: number): string {
  return `SQLITE_${EXTENDED[errcode] ?? PRIMARY[errcode & 0xff] ?? 'ERROR'}`;
}
