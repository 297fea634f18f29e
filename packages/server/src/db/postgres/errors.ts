import { DbError } from '../database.ts';

/** Maps pg errors (SQLSTATE codes) to DbError codes. */
export function mapPgError(e: unknown): unknown {
  const err = e as { code?: string; message?: string; detail?: string };
  if (typeof err?.code !== 'string' || err.code.length !== 5) return e;
  const msg = err.message ?? '';
  switch (err.code) {
    case '23505': {
      const m = /^Key \((.+?)\)=/.exec(err.detail ?? '');
      const cols = m ? m[1]!.split(',').map((c) => c.trim().replaceAll('"', '')) : [];
      return new DbError('unique_violation', msg, cols, e);
    }
    case '23502':
      return new DbError('not_null_violation', msg, [], e);
    case '23503':
      return new DbError('foreign_key_violation', msg, [], e);
    case '40001':
    case '40P01':
    case '55P03':
      return new DbError('busy', msg, [], e);
    case '25006':
      return new DbError('read_only', msg, [], e);
    case '57014': // query_canceled: statement_timeout (ForgeBase cancels nothing else)
      return new DbError('query_timeout', msg, [], e);
    case '22021':
    case '22P05':
      return new DbError('invalid_text', msg, [], e);
    default:
      if (err.code.startsWith('42')) return new DbError('syntax_error', msg, [], e);
      return new DbError('unknown', msg, [], e);
  }
}
