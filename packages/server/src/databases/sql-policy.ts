import { constants as c } from 'node:sqlite';

/**
 * PRAGMAs a tenant may run: schema introspection, integrity checks and the per-connection
 * switches ORMs use. Everything else is refused, above all those that reach the file
 * system or lift a quota (`journal_mode`, `temp_store_directory`, `mmap_size`,
 * `max_page_count`, `writable_schema`, …).
 */
const ALLOWED_PRAGMAS = new Set([
  'application_id',
  'collation_list',
  'compile_options',
  'data_version',
  'defer_foreign_keys',
  'encoding',
  'foreign_key_check',
  'foreign_key_list',
  'foreign_keys',
  'freelist_count',
  'function_list',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'legacy_alter_table',
  'module_list',
  'optimize',
  'page_count',
  'page_size',
  'pragma_list',
  'quick_check',
  'recursive_triggers',
  'schema_version',
  'table_info',
  'table_list',
  'table_xinfo',
  'user_version',
]);

/** PRAGMAs that take an argument to describe something rather than to change a setting. */
const QUERY_PRAGMAS = new Set([
  'foreign_key_check',
  'foreign_key_list',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'quick_check',
  'table_info',
  'table_list',
  'table_xinfo',
]);

/** SQL functions refused: loading native code, raw pointers. */
const DENIED_FUNCTIONS = new Set(['load_extension', 'fts3_tokenizer']);

/** Actions that change the database: refused for read-only tokens. */
const WRITES = new Set<number>([
  c.SQLITE_INSERT,
  c.SQLITE_UPDATE,
  c.SQLITE_DELETE,
  c.SQLITE_CREATE_INDEX,
  c.SQLITE_CREATE_TABLE,
  c.SQLITE_CREATE_TRIGGER,
  c.SQLITE_CREATE_VIEW,
  c.SQLITE_CREATE_TEMP_INDEX,
  c.SQLITE_CREATE_TEMP_TABLE,
  c.SQLITE_CREATE_TEMP_TRIGGER,
  c.SQLITE_CREATE_TEMP_VIEW,
  c.SQLITE_CREATE_VTABLE,
  c.SQLITE_DROP_INDEX,
  c.SQLITE_DROP_TABLE,
  c.SQLITE_DROP_TRIGGER,
  c.SQLITE_DROP_VIEW,
  c.SQLITE_DROP_TEMP_INDEX,
  c.SQLITE_DROP_TEMP_TABLE,
  c.SQLITE_DROP_TEMP_TRIGGER,
  c.SQLITE_DROP_TEMP_VIEW,
  c.SQLITE_DROP_VTABLE,
  c.SQLITE_ALTER_TABLE,
  c.SQLITE_REINDEX,
  c.SQLITE_ANALYZE,
]);

const DML = new Set<number>([c.SQLITE_INSERT, c.SQLITE_UPDATE, c.SQLITE_DELETE]);

/** What the authorizer saw while one statement was prepared. */
export interface PrepareFacts {
  /** The statement changes data or schema (or sets a PRAGMA). */
  writes: boolean;
  /** It inserts, updates or deletes rows of a user table: only then are its changes counted. */
  dml: boolean;
  /** Why the statement was refused, when it was (message and libSQL code). */
  denied?: { message: string; code: string };
}

/**
 * The tenant connection's SQLite authorizer (sqlite3_set_authorizer): called while a
 * statement is prepared, it refuses ATTACH/DETACH (so no other file, no `VACUUM INTO`),
 * extension loading and the PRAGMAs outside the allow-list, and records whether the
 * statement writes. `facts()` returns and resets what it saw since the last call.
 */
export function createSqlPolicy(): {
  authorize(action: number, a1: string | null, a2: string | null): number;
  facts(): PrepareFacts;
  /** While set, a write is refused as it is prepared (a read-only token's `sequence`). */
  denyWrites: boolean;
} {
  let writes = false;
  let dml = false;
  let denied: PrepareFacts['denied'];
  const deny = (message: string, code = 'SQLITE_AUTH') => {
    denied ??= { message, code };
    return c.SQLITE_DENY;
  };
  const wrote = () => {
    writes = true;
    return policy.denyWrites
      ? deny('This token is read-only: the statement would write', 'SQLITE_READONLY')
      : c.SQLITE_OK;
  };
  const policy = {
    denyWrites: false,
    authorize(action: number, a1: string | null, a2: string | null): number {
      if (action === c.SQLITE_ATTACH || action === c.SQLITE_DETACH)
        return deny('ATTACH, DETACH and VACUUM INTO are not allowed on this database');
      if (action === c.SQLITE_FUNCTION && a2 && DENIED_FUNCTIONS.has(a2.toLowerCase()))
        return deny(`the function ${a2} is not allowed on this database`);
      if (action === c.SQLITE_PRAGMA) {
        const name = (a1 ?? '').toLowerCase();
        if (!ALLOWED_PRAGMAS.has(name)) return deny(`PRAGMA ${name} is not allowed on this database`);
        return a2 !== null && !QUERY_PRAGMAS.has(name) ? wrote() : c.SQLITE_OK;
      }
      if (DML.has(action) && !(a1 ?? '').startsWith('sqlite_')) dml = true;
      return WRITES.has(action) ? wrote() : c.SQLITE_OK;
    },
    facts(): PrepareFacts {
      const f: PrepareFacts = denied ? { writes, dml, denied } : { writes, dml };
      writes = false;
      dml = false;
      denied = undefined;
      return f;
    },
  };
  return policy;
}

/**
 * The parameters of a statement in order (Hrana's `describe`): `?` is unnamed, `?NNN`,
 * `:name`, `@name` and `$name` are named as written. node:sqlite does not expose
 * sqlite3_bind_parameter_name, so this scans the text, skipping literals and comments.
 */
export function statementParams(sql: string): (string | null)[] {
  const out: (string | null)[] = [];
  const seen = new Set<string>();
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = sql.indexOf(ch, i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '[') {
      const end = sql.indexOf(']', i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === '?') {
      const m = /^\?\d*/.exec(sql.slice(i))![0];
      if (m === '?') out.push(null);
      else if (!seen.has(m)) {
        seen.add(m);
        out.push(m);
      }
      i += m.length;
    } else if ((ch === ':' || ch === '@' || ch === '$') && /[A-Za-z0-9_]/.test(sql[i + 1] ?? '')) {
      const m = /^[:@$][A-Za-z0-9_]+/.exec(sql.slice(i))![0];
      if (!seen.has(m)) {
        seen.add(m);
        out.push(m);
      }
      i += m.length;
    } else i++;
  }
  return out;
}
