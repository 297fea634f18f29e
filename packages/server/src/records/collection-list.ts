import { DbError } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { BadRequestError } from '../errors/api-error.ts';
import { filterCondition, type RuleDeps, sortValue } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, fieldWithDefaults, virtualCollection } from '../schema/collection.ts';
import { DEFAULT_PER_PAGE, type ListParams, MAX_PER_PAGE } from './list.ts';
import { parseSort } from './sort.ts';

/** The rows a collections filter reads (a CTE of the collections held in memory). */
const ROWS_ALIAS = 'fb_collections';
/** Each row's position in the schema (oldest first): the `@rowid` and the tie-breaker. */
const POS = 'fb_pos';

/**
 * What a collections filter or sort may name: PocketBase's list resolves exactly `id`,
 * `created`, `updated`, `name`, `system` and `type` (a simple field resolver over
 * `_collections`), so the filter language runs over a pseudo-collection with those fields.
 */
const META: Collection = virtualCollection(ROWS_ALIAS, [
  ...['id', 'created', 'updated', 'name', 'type'].map((name) => fieldWithDefaults({ name, type: 'text' })),
  fieldWithDefaults({ name: 'system', type: 'bool' }),
]);

export interface CollectionPage {
  items: Collection[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

/**
 * One page of collections (PocketBase's `GET /api/collections`): `filter` and `sort` in
 * the filter language over id, created, updated, name, system and type, judged by the
 * database over the given collections (the same compiler as record lists); a filter or
 * sort that does not parse or names anything else is a 400.
 */
export async function listCollections(
  deps: RuleDeps,
  all: readonly Collection[],
  params: Omit<ListParams, 'expand'>,
  viewer: Viewer,
): Promise<CollectionPage> {
  const { db } = deps;
  const page = params.page && params.page > 0 ? Math.floor(params.page) : 1;
  const perPage = Math.min(
    params.perPage && params.perPage > 0 ? Math.floor(params.perPage) : DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
  );
  const where = params.filter?.trim()
    ? filterCondition(deps, META, params.filter, viewer, ROWS_ALIAS).sql
    : undefined;
  const terms = parseSort(params.sort, META, POS, true, (name) => sortValue(deps, META, name, viewer));
  const text = (v: string) => sql`CAST(${v} AS TEXT)`;
  const rows = all.map(
    (c, i) =>
      sql`SELECT ${text(c.id)} AS "id", ${text(c.created)} AS "created", ${text(c.updated)} AS "updated", ${text(c.name)} AS "name", ${text(c.type)} AS "type", CAST(${db.filter.bool(c.system)} AS BOOLEAN) AS "system", ${i} AS ${sql.id(POS)}`,
  );
  if (rows.length === 0) return { items: [], page, perPage, totalItems: 0, totalPages: 0 };
  const cte = sql`WITH ${sql.id(ROWS_ALIAS)} AS (${sql.join(rows, sql` UNION ALL `)})`;
  const cond = where ?? sql`1 = 1`;
  const order = [
    ...terms.map((t) => sql`${t.expr} ${sql.raw(t.desc ? 'DESC' : 'ASC')}`),
    sql`${sql.id(POS)} ASC`,
  ];
  const list = sql`${cte} SELECT "id" FROM ${sql.id(ROWS_ALIAS)} WHERE ${cond} ORDER BY ${sql.join(order)} LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`;
  const count = sql`${cte} SELECT COUNT(*) AS total FROM ${sql.id(ROWS_ALIAS)} WHERE ${cond}`;
  let ids: { id: string }[];
  let total = -1;
  try {
    ids = await db.all<{ id: string }>(list.compile(db.qb));
    if (!params.skipTotal)
      total = Number((await db.first<{ total: unknown }>(count.compile(db.qb)))?.total ?? 0);
  } catch (e) {
    // e.g. a comparison PostgreSQL refuses to type: still the client's filter
    if (e instanceof DbError) throw new BadRequestError('Invalid filter or sort.', {}, { cause: e });
    throw e;
  }
  const byId = new Map(all.map((c) => [c.id, c]));
  return {
    items: ids.map((r) => byId.get(r.id)).filter((c): c is Collection => c !== undefined),
    page,
    perPage,
    totalItems: total,
    totalPages: total < 0 ? -1 : Math.ceil(total / perPage),
  };
}
