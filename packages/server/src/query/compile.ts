import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { type Comparison, type Expr, FilterSyntaxError, type Operand } from './ast.ts';
import { compare } from './compare.ts';
import { findSearch, resolveCall, searchArgs } from './functions.ts';
import type { RequestInfo } from './request-info.ts';
import { resolveIdentifier } from './resolve.ts';
import { type CollectionJoin, literal, type ResolveContext, type Resolved } from './resolved.ts';

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

/**
 * Compiles a parsed filter into a parameterised SQL condition on the base collection's
 * rows, with PocketBase's semantics: `~` is a case-insensitive "contains" (LIKE with `%`
 * wrapping and escaping), comparisons with `null`/`''` test for emptiness, and an operand
 * with several values (through a multi relation, a back relation or `:each`) must match
 * with all of them, or with any of them for the `?` operators. User text is only ever
 * bound as a parameter.
 */
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
      return resolveCall(o, ctx, resolveOperand);
  }
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
