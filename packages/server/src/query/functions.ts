import type { RawBuilder } from 'kysely';
import { sql } from '../db/kysely.ts';
import { isSearchable } from '../schema/field-registry.ts';
import { type Expr, FilterSyntaxError, type Operand } from './ast.ts';
import type { ResolveContext, Resolved } from './resolved.ts';

// The filter language's functions: geoDistance(), strftime() and search(). Each gets the
// compiler's operand resolver for its arguments (query/compile.ts owns it).

/** A call operand of the filter language. */
export type Call = Extract<Operand, { kind: 'call' }>;
/** Resolves one operand (query/compile.ts resolveOperand). */
export type ResolveOperand = (o: Operand, ctx: ResolveContext) => Resolved;

/** Resolves a function call of a filter; unknown functions are a syntax error. */
export function resolveCall(o: Call, ctx: ResolveContext, resolve: ResolveOperand): Resolved {
  if (o.name === 'search') return resolveSearch(o, ctx);
  if (o.name === 'geoDistance') return resolveGeoDistance(o, ctx, resolve);
  if (o.name === 'strftime') return resolveStrftime(o, ctx, resolve);
  throw new FilterSyntaxError(`Unknown or unsupported function "${o.name}"`, o.pos);
}

const MAX_SEARCH_TERMS = 20;
const STRFTIME_FORMAT = /^([^%]|%[YmdHMSj%])*$/;

/** A function argument that must be a single value. */
function scalarArg(o: Operand, ctx: ResolveContext, resolve: ResolveOperand, what: string): Resolved {
  const r = resolve(o, ctx);
  if (r.many) throw new FilterSyntaxError(`${what} takes single values, not lists`, o.pos);
  return r;
}

/**
 * PocketBase's `geoDistance(lonA, latA, lonB, latB)`: the great-circle distance in
 * kilometres (haversine, Earth radius 6371 km). Arguments are numbers, number fields or
 * geoPoint parts such as `location.lon`.
 */
function resolveGeoDistance(o: Call, ctx: ResolveContext, resolve: ResolveOperand): Resolved {
  if (o.args.length !== 4)
    throw new FilterSyntaxError('geoDistance() takes four arguments: lonA, latA, lonB, latB', o.pos);
  const f = ctx.db.filter;
  const [lonA, latA, lonB, latB] = o.args.map((a) => {
    const r = scalarArg(a, ctx, resolve, 'geoDistance()');
    // cast even literals: PostgreSQL cannot type `$1 - $2` on its own
    return f.toNumber(r.sql, r.type === 'json');
  }) as [RawBuilder<unknown>, RawBuilder<unknown>, RawBuilder<unknown>, RawBuilder<unknown>];
  const rad = (x: RawBuilder<unknown>) => sql`radians(${x})`;
  const h = sql`power(sin(${rad(sql`${latB} - ${latA}`)} / 2), 2) + cos(${rad(latA)}) * cos(${rad(latB)}) * power(sin(${rad(sql`${lonB} - ${lonA}`)} / 2), 2)`;
  return { sql: sql`(12742 * asin(sqrt(${f.least(sql`1`, h)})))`, type: 'number' };
}

/** PocketBase's `strftime(format, date)`, with the codes %Y %m %d %H %M %S %j and %%. */
function resolveStrftime(o: Call, ctx: ResolveContext, resolve: ResolveOperand): Resolved {
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
  const date = scalarArg(value, ctx, resolve, 'strftime()');
  return { sql: ctx.db.filter.strftime(format.value, date.sql), type: 'text' };
}

/** The checked arguments of `search(field, "words")`. */
export function searchArgs(o: Call, ctx: ResolveContext): { field: string; words: string[] } {
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

/**
 * ForgeBase's full-text search: `search(field, "terms") = true` matches records whose
 * `searchable` field holds every term (as a word prefix), through the field's index.
 */
function resolveSearch(o: Call, ctx: ResolveContext): Resolved {
  const { field, words } = searchArgs(o, ctx);
  return { sql: ctx.db.filter.search(ctx.baseAlias, ctx.base.name, field, words), type: 'bool' };
}

/** The first `search()` call of a filter, if any. */
export function findSearch(expr: Expr): Call | undefined {
  if (expr.kind !== 'compare') return findSearch(expr.left) ?? findSearch(expr.right);
  for (const o of [expr.left, expr.right]) if (o.kind === 'call' && o.name === 'search') return o;
  return undefined;
}
