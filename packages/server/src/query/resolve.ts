import type { RawBuilder } from 'kysely';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { type FieldModel, isMulti } from '../schema/field.ts';
import { fieldType } from '../schema/field-registry.ts';
import { FilterSyntaxError, type Pos } from './ast.ts';
import { macroValue } from './macros.ts';
import { resolveRequest } from './resolve-request.ts';
import {
  col,
  literal,
  type Modifier,
  type ResolveContext,
  type Resolved,
  splitModifier,
  type ValueType,
  type Walk,
} from './resolved.ts';

// Field paths of a filter (`author.name`, `comments_via_post.text`, `@collection.x.y`)
// resolved into SQL over joins; @request.* lives in resolve-request.ts.

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
    if (name.startsWith('@request.')) return resolveRequest(name, pos, ctx, resolvePath);
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

/** Wraps a walk's final value: a plain column, a scalar subquery, or a set of values. */
function finish(w: Walk, value: RawBuilder<unknown>, type: ValueType): Resolved {
  if (w.joins.length === 0) return { sql: value, type };
  const from = sql`(SELECT 1 AS fb_one) AS fb_start ${sql.join(w.joins, sql` `)}`;
  if (w.many) return { sql: sql`NULL`, type, many: sql`SELECT ${value} AS fb_v FROM ${from}` };
  return { sql: sql`(SELECT ${value} FROM ${from} LIMIT 1)`, type };
}

export function resolvePath(segments: string[], pos: Pos, ctx: ResolveContext, start: Walk): Resolved {
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
