import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { type CompareOp, type Comparison, type Expr, FilterSyntaxError, type Operand } from './ast.ts';
import type { RequestInfo } from './request-info.ts';
import { literal, type ResolveContext, type Resolved, resolveIdentifier } from './resolve.ts';

export interface CompileOptions {
  db: Database;
  collection(idOrName: string): Collection | undefined;
  base: Collection;
  /** How the outer query names the base table (its table name unless aliased). */
  baseAlias?: string;
  request: RequestInfo;
  allowHidden: boolean;
}

/**
 * Compiles a parsed filter into a parameterised SQL condition on the base collection's
 * rows, with PocketBase's semantics: `~` is a case-insensitive "contains" (LIKE with `%`
 * wrapping and escaping), comparisons with `null`/`''` test for emptiness, and an operand
 * with several values (through a multi relation, a back relation or `:each`) must match
 * with all of them, or with any of them for the `?` operators. User text is only ever
 * bound as a parameter.
 */
export function compileFilter(expr: Expr, opts: CompileOptions): RawBuilder<boolean> {
  let n = 0;
  const ctx: ResolveContext = {
    db: opts.db,
    collection: opts.collection,
    base: opts.base,
    baseAlias: opts.baseAlias ?? opts.base.name,
    request: opts.request,
    allowHidden: opts.allowHidden,
    nextAlias: (prefix) => `${prefix}${++n}`,
  };
  return compileExpr(expr, ctx);
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
      return literal(ctx.db, o.value);
    case 'number':
      return literal(ctx.db, o.value);
    case 'call':
      throw new FilterSyntaxError(`Unknown or unsupported function "${o.name}"`, o.pos);
  }
}

/** Values of one side: the operand's own, or an element of its set under `alias`. */
function valueOf(r: Resolved, alias: string | undefined): Resolved {
  return alias ? { ...r, sql: sql.ref(`${alias}.fb_v`), many: undefined } : r;
}

function compileComparison(c: Comparison, ctx: ResolveContext): RawBuilder<boolean> {
  const left = resolveOperand(c.left, ctx);
  const right = resolveOperand(c.right, ctx);
  const la = left.many ? ctx.nextAlias('fb_m') : undefined;
  const ra = right.many ? ctx.nextAlias('fb_m') : undefined;
  const cond = compare(c.op, valueOf(left, la), valueOf(right, ra), ctx.db);
  if (!la && !ra) return cond;
  const sources = [
    left.many && la ? sql`(${left.many}) AS ${sql.id(la)}` : undefined,
    right.many && ra ? sql`(${right.many}) AS ${sql.id(ra)}` : undefined,
  ].filter((x): x is RawBuilder<unknown> => x !== undefined);
  const from = sql.join(sources, sql`, `);
  // any-of: one pair of values matches; otherwise no pair may fail (a missing value is one
  // NULL row, so an empty set behaves like an empty single value)
  if (c.any) return sql<boolean>`EXISTS (SELECT 1 FROM ${from} WHERE ${cond})`;
  return sql<boolean>`NOT EXISTS (SELECT 1 FROM ${from} WHERE NOT COALESCE(${cond}, FALSE))`;
}

function isEmptyLiteral(r: Resolved): boolean {
  return r.literal !== undefined && (r.literal.value === null || r.literal.value === '');
}

function isKnownValue(r: Resolved): boolean {
  return r.literal !== undefined && !isEmptyLiteral(r);
}

/** True/false for "has no value": NULL, or '' for text. */
function isEmpty(r: Resolved, db: Database): RawBuilder<boolean> {
  if (r.type === 'text' || r.type === 'null')
    return sql<boolean>`(COALESCE(${r.type === 'null' ? r.sql : r.sql}, '') = '')`;
  if (r.type === 'json') return sql<boolean>`(${r.sql} IS NULL OR ${db.filter.toText(r.sql)} = '""')`;
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
        : db.dialect === 'postgres'
          ? sql`to_jsonb(${o.sql})`
          : o.sql;
    return jFirst ? [j.sql, other] : [other, j.sql];
  }
  // a literal adapts to a column: numeric text compares as a number, text as text
  const adapt = (lit: Resolved, column: Resolved): RawBuilder<unknown> | undefined => {
    if (!lit.literal) return undefined;
    const v = lit.literal.value;
    if (column.type === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
      return sql`${Number(v)}`;
    if (column.type === 'bool' && typeof v === 'string' && /^(true|false|1|0)$/i.test(v))
      return sql`${db.bool(/^(true|1)$/i.test(v))}`;
    if (column.type === 'bool' && typeof v === 'number') return sql`${db.bool(v !== 0)}`;
    if (column.type === 'text' && typeof v !== 'string') return sql`${String(v)}`;
    return undefined;
  };
  const al = adapt(a, b);
  if (al) return [al, b.sql];
  const bl = adapt(b, a);
  if (bl) return [a.sql, bl];
  return [a.type === 'text' ? a.sql : f.toText(a.sql), b.type === 'text' ? b.sql : f.toText(b.sql)];
}

/** LIKE pattern: a literal is escaped and wrapped in `%` unless it has its own `%`. */
function likePattern(r: Resolved): RawBuilder<unknown> {
  if (r.literal && typeof r.literal.value === 'string') {
    const v = r.literal.value;
    if (/(^|[^\\])%/.test(v)) return sql`${v}`;
    return sql`${`%${v.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`}`;
  }
  return sql`('%' || ${r.sql} || '%')`;
}

function compare(op: CompareOp, a: Resolved, b: Resolved, db: Database): RawBuilder<boolean> {
  const f = db.filter;
  if (op === '~' || op === '!~') {
    const text = a.type === 'text' ? a.sql : f.toText(a.sql);
    return f.like(text, likePattern(b), op === '!~');
  }
  if (op === '=' || op === '!=') {
    const eq = op === '=';
    if (isEmptyLiteral(a) || isEmptyLiteral(b)) {
      const other = isEmptyLiteral(a) ? b : a;
      if (isEmptyLiteral(other)) return eq ? sql<boolean>`(1 = 1)` : sql<boolean>`(1 = 0)`;
      const empty = isEmpty(other, db);
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
