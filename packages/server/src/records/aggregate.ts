import type { RawBuilder } from 'kysely';
import type { Database, Executor } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { BadRequestError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import { type FieldModel, isMulti } from '../schema/field.ts';
import { fieldType, isSecret } from '../schema/field-registry.ts';

export interface AggregateParams {
  /** Comma-separated field names to group by (none: one row for all records). */
  groupBy?: string;
  /** Comma-separated `count()`, `count(f)`, `sum(f)`, `avg(f)`, `min(f)`, `max(f)`. */
  fields?: string;
}

const FN_RE = /^(count|sum|avg|min|max)\(\s*(\w*)\s*\)$/i;
const MAX_GROUPS = 1000;
const MAX_TERMS = 20;
/** Field types without an order to take the min/max of. */
const UNORDERED = new Set(['bool', 'json', 'geoPoint']);

/** An auth record's tokenKey signs its tokens: no viewer, not even a superuser, reads it. */
function isTokenKey(c: Collection, f: FieldModel): boolean {
  return c.type === 'auth' && f.name === 'tokenKey';
}

/** Output key of an aggregate: `count`, `count_score`, `avg_score`, ... */
function keyOf(fn: string, field: string): string {
  return field ? `${fn}_${field}` : fn;
}

function bad(message: string, param: 'groupBy' | 'fields'): BadRequestError {
  return new BadRequestError(message, { [param]: fieldError(FieldCode.invalidAggregate, message) });
}

/**
 * ForgeBase's aggregations: `count/sum/avg/min/max` over a collection's records, grouped
 * by fields, over the same rows a list would return (rule and filter in `where`).
 * Groups come back ordered by their values, at most 1000.
 */
export async function aggregateRecords(
  db: Database,
  c: Collection,
  params: AggregateParams,
  viewer: Viewer,
  where: RawBuilder<boolean> | undefined,
  ex: Executor = db,
): Promise<{ items: Record<string, unknown>[] }> {
  const usable = (name: string) => {
    const f = c.fields.find((x) => x.name === name);
    return f && !isSecret(f) && !isTokenKey(c, f) && (!f.hidden || viewer.superuser) ? f : undefined;
  };
  // an auth record's email counts only where its owner made it visible, as in filters
  const maskEmail = c.type === 'auth' && !viewer.superuser;
  const ref = (name: string): RawBuilder<unknown> =>
    maskEmail && name === 'email'
      ? sql`(CASE WHEN ${sql.ref('emailVisibility')} THEN ${sql.ref(name)} END)`
      : sql.ref(name);
  const groups = (params.groupBy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (groups.length > 5) throw bad('Group by at most 5 fields.', 'groupBy');
  const groupFields = groups.map((g) => {
    const f = usable(g);
    if (!f) throw bad(`Unknown groupBy field "${g.slice(0, 100)}".`, 'groupBy');
    return f;
  });
  const terms = (params.fields ?? 'count()')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (terms.length === 0 || terms.length > MAX_TERMS)
    throw bad(`Ask for 1 to ${MAX_TERMS} aggregates.`, 'fields');
  const selections: RawBuilder<unknown>[] = groups.map((g) => sql`${ref(g)} AS ${sql.id(g)}`);
  const numeric = new Set<string>();
  for (const term of terms) {
    const m = FN_RE.exec(term);
    if (!m)
      throw bad(
        `Invalid aggregate "${term.slice(0, 100)}": use count(), sum(f), avg(f), min(f) or max(f).`,
        'fields',
      );
    const fn = m[1]!.toLowerCase();
    const name = m[2] ?? '';
    const field = name ? usable(name) : undefined;
    if (name && !field) throw bad(`Unknown field "${name.slice(0, 100)}" in ${term}.`, 'fields');
    if (!name && fn !== 'count') throw bad(`${fn}() needs a field.`, 'fields');
    if ((fn === 'sum' || fn === 'avg') && field?.type !== 'number')
      throw bad(`${fn}() needs a number field.`, 'fields');
    if (field && isMulti(field)) throw bad(`${term} cannot aggregate a multi-value field.`, 'fields');
    // PostgreSQL has no min/max over booleans or JSON (a 500 otherwise); neither is ordered
    if ((fn === 'min' || fn === 'max') && field && UNORDERED.has(field.type))
      throw bad(`${fn}() cannot aggregate a ${field.type} field.`, 'fields');
    const key = keyOf(fn, name);
    if (fn === 'count' || fn === 'sum' || fn === 'avg' || field?.type === 'number') numeric.add(key);
    const arg = name ? ref(name) : sql`*`;
    selections.push(sql`${sql.raw(fn.toUpperCase())}(${arg}) AS ${sql.id(key)}`);
  }
  const conditions = where ? sql`WHERE ${where}` : sql``;
  const grouping = groups.length
    ? sql`GROUP BY ${sql.join(groups.map(ref))} ORDER BY ${sql.join(groups.map(ref))}`
    : sql``;
  const query = sql`SELECT ${sql.join(selections)} FROM ${sql.id(c.name)} ${conditions} ${grouping} LIMIT ${MAX_GROUPS}`;
  const rows = await ex.all<Record<string, unknown>>(query.compile(db.qb));
  return {
    items: rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const f of groupFields) out[f.name] = fieldType(f.type).decode(row[f.name], f);
      for (const [k, v] of Object.entries(row)) {
        if (!(k in out)) out[k] = numeric.has(k) && v !== null ? Number(v) : v;
      }
      return out;
    }),
  };
}
