/**
 * What a view collection's query may not name: the system's own tables and collections
 * (password hashes in `_superusers`, API-key hashes, MFA and OTP state, ...) and the
 * database functions that reach the host or run SQL given as text. A superuser writes
 * view queries, but is trusted with the data, not with the server (docs/security.md).
 */
const DENIED_NAMES = new Set([
  'information_schema',
  // PostgreSQL: SQL given as text (past this check), settings, large objects on the host
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'ts_stat',
  'ts_rewrite',
  'current_setting',
  'set_config',
  'dblink',
  'dblink_exec',
  // SQLite
  'load_extension',
  'readfile',
  'writefile',
  'fts3_tokenizer',
]);
/**
 * Prefixes the databases reserve for their catalogs and host functions (pg_read_file,
 * lo_import, sqlite_master, pragma_table_info).
 */
const DENIED_PREFIX =
  /^(pg_|sqlite_|pragma_|dblink|lo_(import|export|get|put|from_bytea|open|creat|create|unlink|truncate|write|read))/;

/**
 * The first name in a view query that it may not use, or undefined. Reads the SQL's
 * identifiers (bare or quoted with `"`, `` ` `` or `[]`), skipping string literals
 * (`'...'`, `E'...'`, `$tag$...$tag$`) and comments; `reserved` are the system's table
 * and collection names, compared case-insensitively.
 *
 * @example deniedViewName('select id, password from _superusers', reserved) // '_superusers'
 */
export function deniedViewName(query: string, reserved: ReadonlySet<string>): string | undefined {
  // PostgreSQL's U&"\0041" spells any name with escapes: refuse the form itself
  const unicode = /u&["']/i.exec(query);
  if (unicode) return unicode[0];
  for (const name of identifiers(query)) {
    const lower = name.toLowerCase();
    if (reserved.has(lower) || DENIED_NAMES.has(lower) || DENIED_PREFIX.test(lower)) return name;
  }
  return undefined;
}

/** The identifiers of a SQL text, in order, outside literals and comments. */
function* identifiers(q: string): Generator<string> {
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (c === "'") {
      i = stringEnd(q, i, false);
    } else if ((c === 'e' || c === 'E') && q[i + 1] === "'" && !isWordChar(q[i - 1])) {
      i = stringEnd(q, i + 1, true);
    } else if (c === '-' && q[i + 1] === '-') {
      const nl = q.indexOf('\n', i);
      i = nl === -1 ? q.length : nl + 1;
    } else if (c === '/' && q[i + 1] === '*') {
      const end = q.indexOf('*/', i + 2);
      i = end === -1 ? q.length : end + 2;
    } else if (c === '$' && !isWordChar(q[i - 1])) {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(q.slice(i, i + 64))?.[0];
      if (tag) {
        const end = q.indexOf(tag, i + tag.length);
        i = end === -1 ? q.length : end + tag.length;
      } else i++;
    } else if (c === '"' || c === '`') {
      // SQLite's [name] needs no case: the words inside are read as bare names
      const close = c;
      let j = i + 1;
      let name = '';
      while (j < q.length) {
        if (q[j] === close) {
          if (q[j + 1] === close) {
            name += close;
            j += 2;
            continue;
          }
          break;
        }
        name += q[j];
        j++;
      }
      yield name;
      i = j + 1;
    } else if (isWordChar(c) && !/\d/.test(c)) {
      let j = i + 1;
      while (j < q.length && isWordChar(q[j])) j++;
      yield q.slice(i, j);
      i = j;
    } else i++;
  }
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\w$]/.test(c);
}

/** The index after the string literal whose opening quote is at `open`. */
function stringEnd(q: string, open: number, backslashes: boolean): number {
  let i = open + 1;
  while (i < q.length) {
    if (backslashes && q[i] === '\\') i += 2;
    else if (q[i] === "'") {
      if (q[i + 1] === "'") i += 2;
      else return i + 1;
    } else i++;
  }
  return i;
}
