import type { RawBuilder } from 'kysely';
import { sql } from '../db/kysely.ts';
import type { Collection } from '../schema/collection.ts';
import { fieldType, isSecret } from '../schema/field-registry.ts';
import { FilterSyntaxError, type Pos } from './ast.ts';
import {
  col,
  literal,
  type ResolveContext,
  type Resolved,
  splitModifier,
  toLiteral,
  type Walk,
} from './resolved.ts';

// `@request.*` identifiers: values the request sent, bound as literals, and the signed-in
// record's fields (a path from it walks like any field path).

/** Walks a field path from a start row (query/resolve.ts resolvePath). */
export type PathResolver = (segments: string[], pos: Pos, ctx: ResolveContext, start: Walk) => Resolved;

function bodyValue(body: Record<string, unknown>, key: string, base: Collection): unknown {
  const v = body[key];
  const field = base.fields.find((f) => f.name === key);
  if (v === undefined || !field) return v;
  const t = fieldType(field.type);
  // a secret is compared as sent (never hashed here), free-form JSON too
  if (t.secret || t.jsonValue) return v;
  return t.normalize(v, field);
}

/** `@request.method|context|query.*|headers.*|body.*|auth.*`. */
export function resolveRequest(
  name: string,
  pos: Pos,
  ctx: ResolveContext,
  resolvePath: PathResolver,
): Resolved {
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
