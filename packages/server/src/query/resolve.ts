import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { type FieldModel, isMulti } from '../schema/field.ts';
import { fieldType, isSecret } from '../schema/field-registry.ts';
import { FilterSyntaxError, type Pos } from './ast.ts';
import { macroValue } from './macros.ts';
import type { RequestInfo } from './request-info.ts';

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

/** `ON <cond>` plus the joined collection's listRule, when the context enforces one. */
function joinOn(
  ctx: ResolveContext,
  target: Collection,
  alias: string,
  on: RawBuilder<unknown>,
  pos: Pos,
): RawBuilder<unknown> {
  const rule = ctx.joinRule?.(target, alias, pos);
  return rule ? sql`(${on}) AND ${rule}` : on;
}

const MAX_RELATION_HOPS = 6;
const VIA_RE = /^(\w+)_via_(\w+)$/;
const MODIFIERS = ['isset', 'changed', 'length', 'each', 'lower'] as const;
type Modifier = (typeof MODIFIERS)[number];

function splitModifier(segment: string, pos: Pos): { name: string; modifier?: Modifier } {
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

function columnType(f: FieldModel): ValueType {
  const t = fieldType(f.type);
  const kind = t.column(f).kind;
  if (kind === 'number' || kind === 'bool') return kind;
  return t.jsonValue ? 'json' : 'text';
}

/** Resolves an identifier (field path, @request value, macro or keyword) into SQL. */
export function resolveIdentifier(name: string, pos: Pos, ctx: ResolveContext): Resolved {
  const lower = name.toLowerCase();
  if (lower === 'null') return literal(ctx.db, null);
  if (lower === 'true' || lower === 'false') return literal(ctx.db, lower === 'true');
  if (name.startsWith('@')) {
    ctx.markVolatile?.();
    const macro = macroValue(name);
    if (macro !== undefined) return literal(ctx.db, macro);
    if (name.startsWith('@request.')) return resolveRequest(name, pos, ctx);
    if (name.startsWith('@collection.')) return resolveCollectionRef(name, pos, ctx);
    throw new FilterSyntaxError(`Unknown identifier "${name}"`, pos);
  }
  return resolvePath(name.split('.'), pos, ctx, {
    collection: ctx.base,
    alias: ctx.baseAlias,
    joins: [],
    many: false,
  });
}

interface Walk {
  collection: Collection;
  /** Alias of the row whose fields the next segment reads. */
  alias: string;
  /** Joins so far; when any, the value is read in a subquery that starts from one row. */
  joins: RawBuilder<unknown>[];
  many: boolean;
}

function col(alias: string, name: string): RawBuilder<unknown> {
  return sql.ref(`${alias}.${name}`);
}

/** Wraps a walk's final value: a plain column, a scalar subquery, or a set of values. */
function finish(w: Walk, value: RawBuilder<unknown>, type: ValueType): Resolved {
  if (w.joins.length === 0) return { sql: value, type };
  const from = sql`(SELECT 1 AS fb_one) AS fb_start ${sql.join(w.joins, sql` `)}`;
  if (w.many) return { sql: sql`NULL`, type, many: sql`SELECT ${value} AS fb_v FROM ${from}` };
  return { sql: sql`(SELECT ${value} FROM ${from} LIMIT 1)`, type };
}

function resolvePath(segments: string[], pos: Pos, ctx: ResolveContext, start: Walk): Resolved {
  const w: Walk = { ...start, joins: [...start.joins] };
  for (let i = 0; i < segments.length; i++) {
    const last = i === segments.length - 1;
    const { name, modifier } = last
      ? splitModifier(segments[i]!, pos)
      : { name: segments[i]!, modifier: undefined };
    if (!last && segments[i]!.includes(':'))
      throw new FilterSyntaxError(`A modifier may only end a path ("${segments.join('.')}")`, pos);
    if (!last && i >= MAX_RELATION_HOPS)
      throw new FilterSyntaxError(
        `Too many relation hops in "${segments.join('.')}" (max ${MAX_RELATION_HOPS})`,
        pos,
      );
    const field = w.collection.fields.find((f) => f.name === name);
    if (field?.hidden && !ctx.allowHidden)
      throw new FilterSyntaxError(`Field "${name}" is not filterable`, pos);
    if (!field) {
      const via = VIA_RE.exec(name);
      if (!via || last)
        throw new FilterSyntaxError(`Unknown field "${segments.slice(0, i + 1).join('.')}"`, pos);
      joinBackRelation(w, via[1]!, via[2]!, pos, ctx);
      continue;
    }
    if (last) return finishField(w, field, modifier, pos, ctx);
    const subPaths = fieldType(field.type).subPaths;
    if (subPaths === 'json') {
      const path = segments.slice(i + 1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const column = col(w.alias, field.name);
      return finish(w, ctx.db.filter.jsonExtract(column, path), 'json');
    }
    if (subPaths !== 'relation') throw new FilterSyntaxError(`Field "${name}" is not a relation`, pos);
    const target = ctx.collection(String(field.collectionId));
    if (!target) throw new FilterSyntaxError(`The relation "${name}" points to a missing collection`, pos);
    const alias = ctx.nextAlias('fb_r');
    if (isMulti(field)) {
      const je = ctx.nextAlias('fb_je');
      w.joins.push(ctx.db.filter.joinJsonEach(col(w.alias, field.name), je));
      const on = joinOn(ctx, target, alias, sql`${col(alias, 'id')} = ${col(je, 'value')}`, pos);
      w.joins.push(sql`LEFT JOIN ${sql.id(target.name)} AS ${sql.id(alias)} ON ${on}`);
      w.many = true;
    } else {
      const on = joinOn(ctx, target, alias, sql`${col(alias, 'id')} = ${col(w.alias, field.name)}`, pos);
      w.joins.push(sql`LEFT JOIN ${sql.id(target.name)} AS ${sql.id(alias)} ON ${on}`);
    }
    w.collection = target;
    w.alias = alias;
  }
  throw new FilterSyntaxError('Empty field path', pos);
}

/** `comments_via_post`: records of `comments` whose relation field `post` points here. */
function joinBackRelation(
  w: Walk,
  collectionName: string,
  fieldName: string,
  pos: Pos,
  ctx: ResolveContext,
): void {
  const back = ctx.collection(collectionName);
  const field = back?.fields.find((f) => f.name === fieldName);
  if (!back || !field || field.type !== 'relation' || field.collectionId !== w.collection.id) {
    throw new FilterSyntaxError(`Invalid back relation "${collectionName}_via_${fieldName}"`, pos);
  }
  if (field.hidden && !ctx.allowHidden)
    throw new FilterSyntaxError(`Field "${fieldName}" is not filterable`, pos);
  const alias = ctx.nextAlias('fb_b');
  const on = isMulti(field)
    ? ctx.db.filter.jsonArrayContains(col(alias, field.name), col(w.alias, 'id'))
    : sql`${col(alias, field.name)} = ${col(w.alias, 'id')}`;
  w.joins.push(
    sql`LEFT JOIN ${sql.id(back.name)} AS ${sql.id(alias)} ON ${joinOn(ctx, back, alias, on, pos)}`,
  );
  w.collection = back;
  w.alias = alias;
  w.many = true;
}

function finishField(
  w: Walk,
  field: FieldModel,
  modifier: Modifier | undefined,
  pos: Pos,
  ctx: ResolveContext,
): Resolved {
  const f = ctx.db.filter;
  const t = fieldType(field.type);
  const column = col(w.alias, field.name);
  const listable = t.list === true;
  const multi = listable && isMulti(field);
  if (t.secret) throw new FilterSyntaxError(`Field "${field.name}" is not filterable`, pos);
  if (modifier === 'isset' || modifier === 'changed') {
    throw new FilterSyntaxError(`The :${modifier} modifier works only on @request.body fields`, pos);
  }
  if ((modifier === 'length' || modifier === 'each') && !listable) {
    const message = `The :${modifier} modifier needs a select, relation or file field ("${field.name}")`;
    throw new FilterSyntaxError(message, pos);
  }
  // a single-value field is a list of zero or one values (PocketBase's MultiValuer)
  if (modifier === 'length' && !multi)
    return finish(w, sql`(CASE WHEN COALESCE(${column}, '') = '' THEN 0 ELSE 1 END)`, 'number');
  if (modifier === 'length') return finish(w, f.jsonArrayLength(column), 'number');
  if (modifier === 'each' && multi) {
    const je = ctx.nextAlias('fb_je');
    w.joins.push(f.joinJsonEach(column, je));
    w.many = true;
    return finish(w, col(je, 'value'), 'text');
  }
  let value: RawBuilder<unknown> = column;
  let type = columnType(field);
  if (t.jsonValue) value = f.jsonExtract(column, []);
  // a multi-value column compares as its JSON text, like PocketBase
  if (multi) value = f.toText(column);
  // an auth record's email is only visible where its owner made it visible
  let guard: RawBuilder<unknown> | undefined;
  if (w.collection.type === 'auth' && field.name === 'email' && !ctx.allowHidden) {
    value = sql`(CASE WHEN ${col(w.alias, 'emailVisibility')} THEN ${value} END)`;
    if (!w.many) guard = finish(w, col(w.alias, 'emailVisibility'), 'bool').sql;
  }
  if (modifier === 'lower') {
    value = sql`LOWER(${type === 'text' ? value : type === 'json' ? f.jsonToText(value) : f.toText(value)})`;
    type = 'text';
  }
  const resolved = finish(w, value, type);
  return guard ? { ...resolved, guard } : resolved;
}

function bodyValue(body: Record<string, unknown>, key: string, base: Collection): unknown {
  const v = body[key];
  const field = base.fields.find((f) => f.name === key);
  if (v === undefined || !field) return v;
  const t = fieldType(field.type);
  // a secret is compared as sent (never hashed here), free-form JSON too
  if (t.secret || t.jsonValue) return v;
  return t.normalize(v, field);
}

function toLiteral(ctx: ResolveContext, v: unknown): Resolved {
  if (v === undefined || v === null) return literal(ctx.db, null);
  // PostgreSQL text cannot hold a NUL: such a request value makes a rule deny, on both dialects
  if (typeof v === 'string' && v.includes('\0'))
    throw new FilterSyntaxError('A request value contains a NUL character', 0);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return literal(ctx.db, v);
  return literal(ctx.db, JSON.stringify(v));
}

/**
 * `@collection.<name>[:alias].<path>`: rows of another collection, joined once per alias
 * for the whole filter (PocketBase's semantics: conditions on the same alias meet on the
 * same row; the compiler wraps the filter in an EXISTS over these joins).
 */
function resolveCollectionRef(name: string, pos: Pos, ctx: ResolveContext): Resolved {
  const [, source = '', ...rest] = name.split('.');
  const [collectionName = '', aliasName] = source.split(':');
  const target = ctx.collection(collectionName);
  if (!target || rest.length === 0)
    throw new FilterSyntaxError(`Invalid @collection reference "${name}"`, pos);
  if (!ctx.collectionJoins) throw new FilterSyntaxError('@collection is not allowed here', pos);
  const key = `${target.id}:${aliasName ?? ''}`;
  let join = ctx.collectionJoins.get(key);
  if (!join) {
    join = { table: target.name, alias: ctx.nextAlias('fb_c') };
    ctx.collectionJoins.set(key, join);
  }
  const from = (alias: string) =>
    resolvePath(rest, pos, ctx, { collection: target, alias, joins: [], many: false });
  const resolved = from(join.alias);
  if (resolved.many) return resolved;
  // the same path (relations, modifiers included) from another row of that collection
  return { ...resolved, everyRow: { table: target.name, value: (alias) => from(alias).sql } };
}

/** `@request.method|context|query.*|headers.*|body.*|auth.*`. */
function resolveRequest(name: string, pos: Pos, ctx: ResolveContext): Resolved {
  const [, area = '', ...rest] = name.split('.');
  const r = ctx.request;
  switch (area) {
    case 'method':
      return literal(ctx.db, r.method.toUpperCase());
    case 'context':
      return literal(ctx.db, r.context);
    case 'query':
    case 'headers':
      return resolveSent(area === 'query' ? r.query : r.headers, area === 'headers', rest, pos, ctx);
    case 'body':
      return resolveBody(rest, pos, ctx);
    case 'auth': {
      if (rest.length === 0) throw new FilterSyntaxError(`Incomplete identifier "${name}"`, pos);
      if (!r.auth) return literal(ctx.db, null);
      const { collection, record } = r.auth;
      const { name: key, modifier } =
        rest.length === 1 ? splitModifier(rest[0]!, pos) : { name: '', modifier: undefined };
      const lower = (v: unknown) => (modifier === 'lower' && typeof v === 'string' ? v.toLowerCase() : v);
      if (rest.length === 1 && (key === 'collectionId' || key === 'collectionName') && !modifier) {
        return literal(ctx.db, key === 'collectionId' ? collection.id : collection.name);
      }
      // a plain field of the signed-in record is a known value: bind it, no query needed
      const own = rest.length === 1 ? collection.fields.find((f) => f.name === key) : undefined;
      if (rest.length === 1 && (!own || isSecret(own) || own.name === 'tokenKey'))
        return literal(ctx.db, null);
      if (own && !fieldType(own.type).jsonValue && (!modifier || modifier === 'lower')) {
        const v = record[own.name];
        return toLiteral(ctx, lower(Array.isArray(v) ? JSON.stringify(v) : v));
      }
      const alias = ctx.nextAlias('fb_auth');
      const start = sql`LEFT JOIN ${sql.id(collection.name)} AS ${sql.id(alias)} ON ${col(alias, 'id')} = ${String(record.id)}`;
      return resolvePath(
        rest,
        pos,
        { ...ctx, allowHidden: true },
        { collection, alias, joins: [start], many: false },
      );
    }
    default:
      throw new FilterSyntaxError(`Unknown identifier "${name}"`, pos);
  }
}

/**
 * `@request.query.*` and `@request.headers.*` (PocketBase's resolveStaticRequestField): a
 * missing key is null; `:isset` tells whether it was sent, `:lower` lowercases it.
 */
function resolveSent(
  values: Record<string, unknown>,
  lowerKeys: boolean,
  rest: string[],
  pos: Pos,
  ctx: ResolveContext,
): Resolved {
  const split = splitModifier(rest.at(-1) ?? '', pos);
  const { modifier } = split;
  const name = lowerKeys ? split.name.toLowerCase() : split.name;
  const value = rest.length === 1 && Object.hasOwn(values, name) ? values[name] : undefined;
  if (modifier === 'isset') return literal(ctx.db, value !== undefined);
  if (modifier && modifier !== 'lower')
    throw new FilterSyntaxError(`The :${modifier} modifier does not apply to "${rest.join('.')}"`, pos);
  return toLiteral(ctx, modifier === 'lower' && typeof value === 'string' ? value.toLowerCase() : value);
}

function resolveBody(rest: string[], pos: Pos, ctx: ResolveContext): Resolved {
  if (rest.length === 0) throw new FilterSyntaxError('Incomplete identifier "@request.body"', pos);
  if (rest.length > 1)
    throw new FilterSyntaxError('Relation paths in @request.body are not supported yet', pos);
  const { name, modifier } = splitModifier(rest[0]!, pos);
  const body = ctx.request.body;
  const present = Object.hasOwn(body, name);
  const value = bodyValue(body, name, ctx.base);
  switch (modifier) {
    case 'isset':
      return literal(ctx.db, present);
    case 'changed': {
      const field = ctx.base.fields.find((f) => f.name === name);
      if (!present || !field) return literal(ctx.db, false);
      // compared as the column stores it: a text compare would see 1 and 1.0 (a bool
      // bound on SQLite) or two spellings of the same jsonb as different
      const f = ctx.db.filter;
      const current = col(ctx.baseAlias, field.name);
      const type = fieldType(field.type);
      const kind = type.column(field).kind;
      let changed: RawBuilder<boolean>;
      if (kind === 'json' || kind === 'jsonArray') {
        const text = type.encode(type.normalize(body[name], field), field);
        if (typeof text === 'string' && text.includes('\\u0000'))
          throw new FilterSyntaxError('A request value contains a NUL character', pos);
        changed = f.isDistinct(current, f.jsonText(sql`${text}`));
      } else if (kind === 'number' || kind === 'bool') {
        changed = f.isDistinct(
          current,
          sql`${typeof value === 'boolean' ? ctx.db.filter.bool(value) : value}`,
        );
      } else {
        changed = f.isDistinct(
          sql`COALESCE(${current}, '')`,
          sql`COALESCE(${toLiteral(ctx, value).sql}, '')`,
        );
      }
      return { sql: changed, type: 'bool' };
    }
    case 'length':
      return literal(
        ctx.db,
        Array.isArray(value) ? value.length : value === undefined || value === null || value === '' ? 0 : 1,
      );
    case 'lower':
      return toLiteral(ctx, typeof value === 'string' ? value.toLowerCase() : value);
    case 'each':
      throw new FilterSyntaxError('The :each modifier on @request.body is not supported yet', pos);
    default:
      return toLiteral(ctx, Array.isArray(value) ? JSON.stringify(value) : value);
  }
}
