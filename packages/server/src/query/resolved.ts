import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { FilterSyntaxError, type Pos } from './ast.ts';
import type { RequestInfo } from './request-info.ts';

// What the resolvers (query/resolve.ts for paths, query/resolve-request.ts for
// @request.*) produce and share: resolved operands, the context, literals, modifiers.

/** What a value compares as. `null` is the literal null; `any` adapts to the other side. */
export type ValueType = 'text' | 'number' | 'bool' | 'json' | 'null';

/**
 * One operand, resolved. `sql` is its value for the current row. When `many` is set, the
 * operand has several values: `many` is a subquery whose rows carry them in `fb_v`, and
 * `sql` is unused.
 */
export interface Resolved {
  sql: RawBuilder<unknown>;
  type: ValueType;
  /** A bound literal (drives empty checks and LIKE wrapping). */
  literal?: { value: string | number | boolean | null };
  many?: RawBuilder<unknown>;
  /**
   * A condition the whole comparison must meet as well: PocketBase compares an auth
   * record's private email as false, whatever the operator.
   */
  guard?: RawBuilder<unknown>;
  /**
   * For `@collection.X.field`: the same value read from any row of X, so a comparison
   * without `?` can require it of every row (PocketBase's multi-match).
   */
  everyRow?: { table: string; value(alias: string): RawBuilder<unknown> };
}

/** One `@collection` source of a filter: a table joined once per alias for the whole filter. */
export interface CollectionJoin {
  table: string;
  alias: string;
}

/** What resolving an operand needs: the schema, the request, aliasing and the join checks. */
export interface ResolveContext {
  db: Database;
  /** Finds a collection by id or name. */
  collection(idOrName: string): Collection | undefined;
  base: Collection;
  /** How the base table is referred to in the outer query. */
  baseAlias: string;
  request: RequestInfo;
  /** Rules and superusers may use hidden fields; client filters may not. */
  allowHidden: boolean;
  /** A fresh alias per joined table. */
  nextAlias(prefix: string): string;
  /**
   * The extra join condition a client filter must respect when it reaches into another
   * collection (its listRule, on the joined alias); undefined for rules and superusers.
   */
  joinRule?(target: Collection, alias: string, pos: Pos): RawBuilder<boolean> | undefined;
  /** Told when the SQL depends on more than the filter text (request values, the clock). */
  markVolatile?(): void;
  /** `@collection` joins of this filter, by alias (or collection name when unaliased). */
  collectionJoins?: Map<string, CollectionJoin>;
}

/** The modifiers a path segment may carry (`title:lower`, `tags:each`, `@request.body.x:isset`). */
export const MODIFIERS = ['isset', 'changed', 'length', 'each', 'lower'] as const;
export type Modifier = (typeof MODIFIERS)[number];

/** `name:modifier` → its parts; an unknown modifier is a syntax error. */
export function splitModifier(segment: string, pos: Pos): { name: string; modifier?: Modifier } {
  const i = segment.indexOf(':');
  if (i < 0) return { name: segment };
  const modifier = segment.slice(i + 1) as Modifier;
  if (!MODIFIERS.includes(modifier)) throw new FilterSyntaxError(`Unknown modifier ":${modifier}"`, pos);
  return { name: segment.slice(0, i), modifier };
}

/** A bound literal operand. */
export function literal(db: Database, value: string | number | boolean | null): Resolved {
  if (value === null) return { sql: sql`NULL`, type: 'null', literal: { value } };
  if (typeof value === 'boolean')
    return { sql: sql`${db.filter.bool(value)}`, type: 'bool', literal: { value } };
  return { sql: sql`${value}`, type: typeof value === 'number' ? 'number' : 'text', literal: { value } };
}

/** A request value as a bound literal (objects and lists as JSON text). */
export function toLiteral(ctx: ResolveContext, v: unknown): Resolved {
  if (v === undefined || v === null) return literal(ctx.db, null);
  // PostgreSQL text cannot hold a NUL: such a request value makes a rule deny, on both dialects
  if (typeof v === 'string' && v.includes('\0'))
    throw new FilterSyntaxError('A request value contains a NUL character', 0);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return literal(ctx.db, v);
  return literal(ctx.db, JSON.stringify(v));
}

/** The column `name` of the row under `alias`. */
export function col(alias: string, name: string): RawBuilder<unknown> {
  return sql.ref(`${alias}.${name}`);
}

/** Where a path walk stands: the row it reads and the joins that led there. */
export interface Walk {
  collection: Collection;
  /** Alias of the row whose fields the next segment reads. */
  alias: string;
  /** Joins so far; when any, the value is read in a subquery that starts from one row. */
  joins: RawBuilder<unknown>[];
  many: boolean;
}
