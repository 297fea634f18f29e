import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { CompareOp } from './ast.ts';
import type { Resolved } from './resolved.ts';

// How the filter compiler compares two resolved values (query/compile.ts resolves them).

function isEmptyLiteral(r: Resolved): boolean {
  return r.literal !== undefined && (r.literal.value === null || r.literal.value === '');
}

function isKnownValue(r: Resolved): boolean {
  return r.literal !== undefined && !isEmptyLiteral(r);
}

/** True/false for "has no value": NULL, or '' for text (JSON is handled by the caller). */
function isEmpty(r: Resolved): RawBuilder<boolean> {
  if (r.type === 'text' || r.type === 'null') return sql<boolean>`(COALESCE(${r.sql}, '') = '')`;
  return sql<boolean>`(${r.sql} IS NULL)`;
}

/** Brings two values to comparable SQL (PostgreSQL is strict about types). */
function coerce(a: Resolved, b: Resolved, db: Database): [RawBuilder<unknown>, RawBuilder<unknown>] {
  const f = db.filter;
  if (a.type === b.type || a.type === 'null' || b.type === 'null') return [a.sql, b.sql];
  if (a.type === 'json' || b.type === 'json') {
    const [j, o, jFirst] = a.type === 'json' ? [a, b, true] : [b, a, false];
    const other =
      o.literal !== undefined
        ? f.jsonLiteral(o.sql, o.type === 'json' ? 'text' : (o.type as 'text' | 'number' | 'bool'))
        : f.toJson(o.sql);
    return jFirst ? [j.sql, other] : [other, j.sql];
  }
  // a literal adapts to a column: numeric text compares as a number, text as text
  const adapt = (lit: Resolved, column: Resolved): RawBuilder<unknown> | undefined => {
    if (!lit.literal) return undefined;
    const v = lit.literal.value;
    if (column.type === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
      return sql`${Number(v)}`;
    if (column.type === 'bool' && typeof v === 'string' && /^(true|false|1|0)$/i.test(v))
      return sql`${db.filter.bool(/^(true|1)$/i.test(v))}`;
    if (column.type === 'bool' && typeof v === 'number') return sql`${db.filter.bool(v !== 0)}`;
    if (column.type === 'text' && typeof v !== 'string') return sql`${String(v)}`;
    return undefined;
  };
  const al = adapt(a, b);
  if (al) return [al, b.sql];
  const bl = adapt(b, a);
  if (bl) return [a.sql, bl];
  return [a.type === 'text' ? a.sql : f.toText(a.sql), b.type === 'text' ? b.sql : f.toText(b.sql)];
}

/**
 * LIKE pattern, as PocketBase's wrapLikeParams: a literal without an unescaped `%` gets its
 * unescaped `\`, `%` and `_` escaped and is wrapped in `%`; one with a `%` is used as is.
 * Any other value is wrapped in `%` as text.
 */
function likePattern(r: Resolved, db: Database): RawBuilder<unknown> {
  const v = r.literal?.value;
  if (v !== undefined && v !== null) {
    // PocketBase binds `true`/`false` as 1/0 and numbers in their shortest form
    const text = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    return sql`${hasUnescaped(text, '%') ? text : `%${escapeUnescaped(text, '\\%_')}%`}`;
  }
  return sql`('%' || ${asText(r, db)} || '%')`;
}

/** A value as text, for LIKE: JSON strings without their quotes. */
function asText(r: Resolved, db: Database): RawBuilder<unknown> {
  if (r.type === 'text') return r.sql;
  return r.type === 'json' ? db.filter.jsonToText(r.sql) : db.filter.toText(r.sql);
}

/** PocketBase's containsUnescapedChar: `ch` not preceded by a `\` (a `\\` pair escapes nothing). */
function hasUnescaped(text: string, ch: string): boolean {
  let prev = '';
  for (const c of text) {
    if (c === ch && prev !== '\\') return true;
    prev = c === '\\' && prev === '\\' ? '' : c;
  }
  return false;
}

/** PocketBase's escapeUnescapedChars: puts a `\` before each of `chars` that has none yet. */
function escapeUnescaped(text: string, chars: string): string {
  const rs = [...text];
  const out: string[] = [];
  let match = false;
  for (let i = rs.length - 1; i >= 0; i--) {
    const c = rs[i]!;
    if (match) {
      if (c !== '\\') out.push('\\');
      match = false;
    } else {
      match = chars.includes(c);
    }
    out.push(c);
    if (i === 0 && match) out.push('\\');
  }
  return out.reverse().join('');
}

/** Brings a bound value to the other one's type, as `coerce` does for a literal and a column. */
function adaptValue(v: LiteralValue, other: LiteralValue): LiteralValue {
  if (typeof other === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
    return Number(v);
  if (typeof other === 'boolean' && typeof v === 'string' && /^(true|false|1|0)$/i.test(v))
    return /^(true|1)$/i.test(v);
  if (typeof other === 'boolean' && typeof v === 'number') return v !== 0;
  if (typeof other === 'string' && typeof v !== 'string' && v !== null) return String(v);
  return v;
}

/**
 * Decides a comparison of two bound values (e.g. `@request.auth.verified = true`) here:
 * PostgreSQL cannot type two bare parameters (`$1 IS NULL` fails, `$1 > $2` compares text).
 */
function foldLiterals(op: CompareOp, a: Resolved, b: Resolved): RawBuilder<boolean> | undefined {
  if (!a.literal || !b.literal || op === '~' || op === '!~') return undefined;
  let x = a.literal.value;
  let y = b.literal.value;
  const empty = (v: LiteralValue) => v === null || v === '';
  let result: boolean;
  if (op === '=' || op === '!=') {
    if (empty(x) || empty(y)) result = empty(x) && empty(y);
    else {
      [x, y] = adaptPair(x, y);
      result = typeof x === typeof y ? x === y : String(x) === String(y);
    }
    if (op === '!=') result = !result;
  } else if (x === null || y === null) {
    result = false; // NULL never orders
  } else {
    [x, y] = adaptPair(x, y);
    const [p, q] =
      typeof x === typeof y && typeof x !== 'string' ? [Number(x), Number(y)] : [String(x), String(y)];
    result = op === '>' ? p > q : op === '>=' ? p >= q : op === '<' ? p < q : p <= q;
  }
  return result ? sql<boolean>`(1 = 1)` : sql<boolean>`(1 = 0)`;
}

type LiteralValue = string | number | boolean | null;

/** Two bound values brought to one type where one adapts to the other. */
function adaptPair(x: LiteralValue, y: LiteralValue): [LiteralValue, LiteralValue] {
  if (typeof x === typeof y) return [x, y];
  const x2 = adaptValue(x, y);
  return typeof x2 === typeof y ? [x2, y] : [x, adaptValue(y, x)];
}

/**
 * One comparison of two resolved values with PocketBase's semantics: `~` is a
 * case-insensitive "contains", comparisons with `null`/`''` test for emptiness, and two
 * literals fold to a constant.
 */
export function compare(op: CompareOp, a: Resolved, b: Resolved, db: Database): RawBuilder<boolean> {
  const f = db.filter;
  const folded = foldLiterals(op, a, b);
  if (folded) return folded;
  if (op === '~' || op === '!~') return f.like(asText(a, db), likePattern(b, db), op === '!~');
  if (op === '=' || op === '!=') {
    const eq = op === '=';
    if (isEmptyLiteral(a) || isEmptyLiteral(b)) {
      const other = isEmptyLiteral(a) ? b : a;
      if (isEmptyLiteral(other)) return eq ? sql<boolean>`(1 = 1)` : sql<boolean>`(1 = 0)`;
      // JSON has no null fallback (PocketBase: NullFallbackDisabled): `= null` is a missing
      // value or a JSON null, `= ''` the JSON string ""
      const empty =
        other.type === 'json'
          ? (isEmptyLiteral(a) ? a : b).literal?.value === null
            ? sql<boolean>`(${other.sql} IS NULL)`
            : f.isSame(other.sql, f.jsonLiteral(sql`${''}`, 'text'))
          : isEmpty(other);
      return eq ? empty : sql<boolean>`(NOT ${empty})`;
    }
    const [x, y] = coerce(a, b, db);
    if (isKnownValue(a) || isKnownValue(b)) return eq ? sql<boolean>`(${x} = ${y})` : f.isDistinct(x, y);
    // two columns: missing values compare like empty ones
    const xs = a.type === 'text' ? sql`COALESCE(${x}, '')` : x;
    const ys = b.type === 'text' ? sql`COALESCE(${y}, '')` : y;
    return eq ? f.isSame(xs, ys) : f.isDistinct(xs, ys);
  }
  const [x, y] = coerce(a, b, db);
  return sql<boolean>`(${x} ${sql.raw(op)} ${y})`;
}
