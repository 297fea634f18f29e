import { DbError } from '../database.ts';

/** Maps node:sqlite errors to DbError codes (extended result codes, see sqlite.org/rescode.html). */
export function mapSqliteError(e: unknown): unknown {
  const err = e as { errcode?: number; message?: string };
  if (typeof err?.errcode !== 'number') return e;
  const msg = err.message ?? '';
  switch (err.errcode) {
    case 2067: // SQLITE_CONSTRAINT_UNIQUE
    case 1555: {
      // SQLITE_CONSTRAINT_PRIMARYKEY
      const m = /constraint failed: (.+)$/i.exec(msg);
      const cols = m ? m[1]!.split(',').map((c) => c.trim().split('.').pop()!) : [];
      return new DbError('unique_violation', msg, cols, e);
    }
    case 1299:
      return new DbError('not_null_violation', msg, [], e);
    case 787:
      return new DbError('foreign_key_violation', msg, [], e);
    case 5:
    case 6:
      return new DbError('busy', msg, [], e);
    case 1:
      return new DbError('syntax_error', msg, [], e);
    default:
      return new DbError('unknown', msg, [], e);
  }
}
