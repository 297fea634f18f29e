import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { isSearchable } from '../schema/field-registry.ts';
import { type CompareOp, type Comparison, type Expr, FilterSyntaxError, type Operand } from './ast.ts';
import type { RequestInfo } from './request-info.ts';
import {
  type CollectionJoin,
  literal,
  type ResolveContext,
  type Resolved,
  resolveIdentifier,
} from './resolve.ts';

export interface CompileOptions {
  db: Database;
  collection(idOrName: string): Collection | undefined;
  base: Collection;
  /** How the outer query names the base table (its table name unless aliased). */
  baseAlias?: string;
  request: RequestInfo;
  allowHidden: boolean;
  /**
   * For a client's filter (not a rule, not a superuser): records of other collections a
   * path reaches must pass their listRule, like PocketBase. Gets the rule's parsed text.
   */
  listRuleOf?: (target: Collection) => Expr | null | undefined;
  /** Shares alias numbering with an enclosing compile (nested rules). */
  nextAlias?: (prefix: string) => string;
  /** Called when the SQL depends on the request or the clock, not only on the text. */
  onVolatile?: () => void;
}

/**
 * Compiles a parsed filter into a parameterised SQL condition on the base collection's
 * rows, with PocketBase's semantics: `~` is a case-insensitive "contains" (LIKE with `%`
 * wrapping and escaping), comparisons with `null`/`''` test for emptiness, and an operand
 * with several values (through a multi relation, a back relation or `:each`) must match
 * with all of them, or with any of them for the `?` operators. User text is only ever
 * bound as a parameter.
 */
/** The resolver context of one compile: aliases, joined-rule checks, volatility. */
function contextFor(opts: CompileOptions): ResolveContext {
  let n = 0;
  const ctx: ResolveContext = {
    db: opts.db,
    collection: opts.collection,
    base: opts.base,
    baseAlias: opts.baseAlias ?? opts.base.name,
    request: opts.request,
    allowHidden: opts.allowHidden,
    nextAlias: opts.nextAlias ?? ((prefix) => `${prefix}${++n}`),
    ...(opts.onVolatile ? { markVolatile: opts.onVolatile } : {}),
  };
  const listRuleOf = opts.listRuleOf;
  if (listRuleOf) {
    ctx.joinRule = (target, alias, pos) => {
      const rule = listRuleOf(target);
      if (rule === null) {
        throw new FilterSyntaxError(
          `Filtering through the "${target.name}" collection needs superuser access`,
          pos,
        );
      }
      if (rule === undefined) return undefined;
      // a joined collection's rule may read the request: never reuse such SQL
      opts.onVolatile?.();
      // the target's own rule runs as a rule: hidden fields allowed, no further checks
      return compileFilter(rule, {
        db: opts.db,
        collection: opts.collection,
        base: target,
        baseAlias: alias,
        request: opts.request,
        allowHidden: true,
        nextAlias: ctx.nextAlias,
      });
    };
  }
  return ctx;
}

/**
 * One value of each record for ORDER BY: a field path such as `author.name`, a modifier
 * (`title:lower`) or a function (`geoDistance(...)`), with the same permissions as a
 * filter. Values with several entries per record cannot sort.
 */
export function compileValue(operand: Operand, opts: CompileOptions): RawBuilder<unknown> {
  const r = resolveOperand(operand, contextFor(opts));
  if (r.many) throw new FilterSyntaxError('the value has several entries per record', operand.pos);
  return r.sql;
}

export function compileFilter(expr: Expr, opts: CompileOptions): RawBuilder<boolean> {
  const ctx = contextFor(opts);
  const collectionJoins = new Map<string, CollectionJoin>();
  ctx.collectionJoins = collectionJoins;
  const condition = compileExpr(expr, ctx);
  if (collectionJoins.size === 0) return condition;
  // PocketBase joins @collection sources into the query: the record matches when some
  // combination of their rows (one NULL row for an empty collection) meets the filter
  const joins = [...collectionJoins.values()].map(
    (j) => sql`LEFT JOIN ${sql.id(j.table)} AS ${sql.id(j.alias)} ON 1 = 1`,
  );
  return sql<boolean>`EXISTS (SELECT 1 FROM (SELECT 1 AS fb_one) AS fb_cstart ${sql.join(joins, sql` `)} WHERE ${condition})`;
}

function compileExpr(expr: Expr, ctx: ResolveContext): RawBuilder<boolean> {
  if (expr.kind === 'compare') return compileComparison(expr, ctx);
  const joiner = expr.kind === 'and' ? sql` AND ` : sql` OR `;
  return sql<boolean>`(${compileExpr(expr.left, ctx)}${joiner}${compileExpr(expr.right, ctx)})`;
}

function resolveOperand(o: Operand, ctx: ResolveContext): Resolved {
  switch (o.kind) {
    case 'identifier':
      return resolveIdentifier(o.name, o.pos, ctx);
    case 'text':
      // SQLite's LIKE stops at a NUL and PostgreSQL text cannot hold one: refused on both
      if (o.value.includes('\0'))
        throw new FilterSyntaxError('A text value may not contain a NUL character', o.pos);
      return literal(ctx.db, o.value);
    case 'number':
      return literal(ctx.db, o.value);
    case 'call':
      if (o.name === 'search') return resolveSearch(o, ctx);
      if (o.name === 'geoDistance') return resolveGeoDistance(o, ctx);
      if (o.name === 'strftime') return resolveStrftime(o, ctx);
      throw new FilterSyntaxError(`Unknown or unsupported function "${o.name}"`, o.pos);
  }
}

const MAX_SEARCH_TERMS = 20;
const STRFTIME_FORMAT = /^([^%]|%[YmdHMSj%])*$/;

/** A function argument that must be a single value. */
function scalarArg(o: Operand, ctx: ResolveContext, what: string): Resolved {
  const r = resolveOperand(o, ctx);
  if (r.many) throw new FilterSyntaxError(`${what} takes single values, not lists`, o.pos);
  return r;
}

/**
 * PocketBase's `geoDistance(lonA, latA, lonB, latB)`: the great-circle distance in
 * kilometres (haversine, Earth radius 6371 km). Arguments are numbers, number fields or
 * geoPoint parts such as `location.lon`.
 */
function resolveGeoDistance(o: Extract<Operand, { kind: 'call' }>, ctx: ResolveContext): Resolved {
  if (o.args.length !== 4)
    throw new FilterSyntaxError('geoDistance() takes four arguments: lonA, latA, lonB, latB', o.pos);
  const f = ctx.db.filter;
  const [lonA, latA, lonB, latB] = o.args.map((a) => {
    const r = scalarArg(a, ctx, 'geoDistance()');
    // cast even literals: PostgreSQL cannot type `$1 - $2` on its own
    return f.toNumber(r.sql, r.type === 'json');
  }) as [RawBuilder<unknown>, RawBuilder<unknown>, RawBuilder<unknown>, RawBuilder<unknown>];
  const rad = (x: RawBuilder<unknown>) => sql`radians(${x})`;
  const h = sql`power(sin(${rad(sql`${latB} - ${latA}`)} / 2), 2) + cos(${rad(latA)}) * cos(${rad(latB)}) * power(sin(${rad(sql`${lonB} - ${lonA}`)} / 2), 2)`;
  return { sql: sql`(12742 * asin(sqrt(${f.least(sql`1`, h)})))`, type: 'number' };
}

/** PocketBase's `strftime(format, date)`, with the codes %Y %m %d %H %M %S %j and %%. */
function resolveStrftime(o: Extract<Operand, { kind: 'call' }>, ctx: ResolveContext): Resolved {
  const [format, value] = o.args;
  if (o.args.length !== 2 || format?.kind !== 'text' || !value) {
    throw new FilterSyntaxError(
      'strftime() takes a quoted format and a date: strftime("%Y-%m", created)',
      o.pos,
    );
  }
  if (!STRFTIME_FORMAT.test(format.value)) {
    throw new FilterSyntaxError('strftime() supports only the codes %Y %m %d %H %M %S %j and %%', format.pos);
  }
  const date = scalarArg(value, ctx, 'strftime()');
  return { sql: ctx.db.filter.strftime(format.value, date.sql), type: 'text' };
}

/**
 * ForgeBase's full-text search: `search(field, "terms") = true` matches records whose
 * `searchable` field holds every term (as a word prefix), through the field's index.
 */
/** The checked arguments of `search(field, "words")`. */
function searchArgs(
  o: Extract<Operand, { kind: 'call' }>,
  ctx: ResolveContext,
): { field: string; words: string[] } {
  const [field, terms] = o.args;
  if (o.args.length !== 2 || field?.kind !== 'identifier' || terms?.kind !== 'text') {
    throw new FilterSyntaxError(
      'search() takes a field name and a quoted text: search(title, "some words")',
      o.pos,
    );
  }
  const f = ctx.base.fields.find((x) => x.name === field.name);
  if (!f || !isSearchable(f)) {
    throw new FilterSyntaxError(
      `Field "${field.name}" is not searchable (set its "searchable" option)`,
      field.pos,
    );
  }
  if (f.hidden && !ctx.allowHidden)
    throw new FilterSyntaxError(`Field "${f.name}" is not filterable`, field.pos);
  const words = terms.value
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.slice(0, 100));
  if (words.length > MAX_SEARCH_TERMS)
    throw new FilterSyntaxError(`search() takes at most ${MAX_SEARCH_TERMS} terms`, terms.pos);
  return { field: f.name, words };
}

function resolveSearch(o: Extract<Operand, { kind: 'call' }>, ctx: ResolveContext): Resolved {
  const { field, words } = searchArgs(o, ctx);
  return { sql: ctx.db.filter.search(ctx.baseAlias, ctx.base.name, field, words), type: 'bool' };
}

/** The first `search()` call of a filter, if any. */
function findSearch(expr: Expr): Extract<Operand, { kind: 'call' }> | undefined {
  if (expr.kind !== 'compare') return findSearch(expr.left) ?? findSearch(expr.right);
  for (const o of [expr.left, expr.right]) if (o.kind === 'call' && o.name === 'search') return o;
  return undefined;
}

/**
 * ForgeBase's `@rank` sort: how well each record matches the filter's first `search()`
 * (lower is better, so ascending puts the best first). Throws without a search().
 */
export function compileSearchRank(filter: Expr | undefined, opts: CompileOptions): RawBuilder<unknown> {
  const call = filter ? findSearch(filter) : undefined;
  if (!call) throw new FilterSyntaxError('@rank needs a search(field, "words") in the filter', 0);
  const ctx = contextFor(opts);
  const { field, words } = searchArgs(call, ctx);
  return ctx.db.filter.searchRank(ctx.baseAlias, ctx.base.name, field, words);
}

/** Values of one side: the operand's own, or an element of its set under `alias`. */
function sideValue(r: Resolved, alias: string | undefined): Resolved {
  return alias ? { ...r, sql: sql.ref(`${alias}.fb_v`), many: undefined } : r;
}

function compileComparison(c: Comparison, ctx: ResolveContext): RawBuilder<boolean> {
  const left = resolveOperand(c.left, ctx);
  const right = resolveOperand(c.right, ctx);
  const la = left.many ? ctx.nextAlias('fb_m') : undefined;
  const ra = right.many ? ctx.nextAlias('fb_m') : undefined;
  const cond = compare(c.op, sideValue(left, la), sideValue(right, ra), ctx.db);
  if (!la && !ra && !c.any && (left.everyRow || right.everyRow)) {
    // without `?`, an @collection value must hold for every row of that collection
    const every = [left, right].flatMap((side, i) => {
      if (!side.everyRow) return [];
      const mm = ctx.nextAlias('fb_mm');
      const value = { ...side, sql: side.everyRow.value(mm), everyRow: undefined };
      const rowCond = i === 0 ? compare(c.op, value, right, ctx.db) : compare(c.op, left, value, ctx.db);
      return [
        sql<boolean>`NOT EXISTS (SELECT 1 FROM ${sql.id(side.everyRow.table)} AS ${sql.id(mm)} WHERE NOT (${rowCond}))`,
      ];
    });
    return sql<boolean>`(${cond} AND ${sql.join(every, sql` AND `)})`;
  }
  if (!la && !ra) {
    const guards = [left.guard, right.guard].filter((g) => g !== undefined);
    if (guards.length === 0) return cond;
    const all = sql.join(
      guards.map((g) => sql`COALESCE(${g}, FALSE)`),
      sql` AND `,
    );
    return sql<boolean>`(${cond} AND ${all})`;
  }
  const sources = [
    left.many && la ? sql`(${left.many}) AS ${sql.id(la)}` : undefined,
    right.many && ra ? sql`(${right.many}) AS ${sql.id(ra)}` : undefined,
  ].filter((x): x is RawBuilder<unknown> => x !== undefined);
  const from = sql.join(sources, sql`, `);
  // any-of: one pair of values matches. all-of (PocketBase's multi-match, search/filter.go):
  // one pair matches and no pair fails; a pair that compares as NULL (e.g. a missing JSON
  // key) does neither. A missing value is one NULL row, so an empty set behaves like an
  // empty single value.
  if (c.any) return sql<boolean>`EXISTS (SELECT 1 FROM ${from} WHERE ${cond})`;
  return sql<boolean>`(EXISTS (SELECT 1 FROM ${from} WHERE ${cond}) AND NOT EXISTS (SELECT 1 FROM ${from} WHERE NOT (${cond})))`;
}

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

function compare(op: CompareOp, a: Resolved, b: Resolved, db: Database): RawBuilder<boolean> {
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
