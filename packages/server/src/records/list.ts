import type { CompiledQuery, RawBuilder } from 'kysely';
import type { Database, Executor } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import { decodeRow, exportRecord } from './record-codec.ts';
import { orderBySort, parseSort, type SortResolver, type SortTerm } from './sort.ts';

export interface ListParams {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
  skipTotal?: boolean;
  /** Relations to expand (PocketBase's `expand`). */
  expand?: string;
}

export interface ListResult {
  items: Record<string, unknown>[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

interface CompiledList {
  list: CompiledQuery;
  count: CompiledQuery;
}

// compiled SQL per collection version and page shape; collections are replaced on every
// schema change, so a WeakMap drops stale entries with them
const compiledCache = new WeakMap<Database, WeakMap<Collection, Map<string, CompiledList>>>();
const COMPILED_PER_COLLECTION = 200;

/** A list's condition, built only when its compiled SQL is not cached already. */
export interface ListCondition {
  /**
   * Equal keys mean equal SQL. Set it only when the condition depends on nothing but the
   * key (no rule with request values, no macros); `build` may still report it unstable.
   */
  cacheKey?: string | undefined;
  build(): { where: RawBuilder<boolean> | undefined; stable: boolean };
  /** Resolves sort names that are paths (`author.name`). */
  sortPath?: SortResolver;
}

function cacheFor(db: Database, c: Collection): Map<string, CompiledList> {
  let perDb = compiledCache.get(db);
  if (!perDb) {
    perDb = new WeakMap();
    compiledCache.set(db, perDb);
  }
  let perCollection = perDb.get(c);
  if (!perCollection) {
    perCollection = new Map();
    perDb.set(c, perCollection);
  }
  return perCollection;
}

/** The page query and the count query of a list, with an optional condition. */
function buildList(
  db: Database,
  c: Collection,
  terms: SortTerm[],
  perPage: number,
  page: number,
  where: RawBuilder<boolean> | undefined,
): CompiledList {
  let query = db.qb.selectFrom(c.name).selectAll(c.name);
  let countQuery = db.qb.selectFrom(c.name).select(sql<number>`COUNT(*)`.as('total'));
  if (where) {
    query = query.where(where);
    countQuery = countQuery.where(where);
  }
  query = orderBySort(query, terms, c.type === 'view' ? undefined : db.filter.rowIdColumn);
  return {
    list: query
      .limit(perPage)
      .offset((page - 1) * perPage)
      .compile(),
    count: countQuery.compile(),
  };
}

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;

/**
 * One page of a collection (PocketBase's list): sorted, paged, counted unless
 * `skipTotal`. Ties are broken by insertion order so pages never overlap. Runs on `ex`
 * (a transaction, to see its own writes) or the database.
 */
export async function listRecords(
  db: Database,
  c: Collection,
  params: ListParams,
  viewer: Viewer,
  condition: ListCondition,
  ex: Executor = db,
): Promise<ListResult> {
  const page = params.page && params.page > 0 ? Math.floor(params.page) : 1;
  const perPage = Math.min(
    params.perPage && params.perPage > 0 ? Math.floor(params.perPage) : DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
  );
  const sortTerms = parseSort(params.sort, c, db.filter.rowIdColumn, viewer.superuser, condition.sortPath);
  // the same filter and page shape compile to the same SQL: reuse it when it is stable
  const key =
    condition.cacheKey === undefined || sortTerms.some((t) => t.volatile)
      ? undefined
      : `${condition.cacheKey}\u0000${perPage}|${page}|${params.sort ?? ''}`;
  const cache = key === undefined ? undefined : cacheFor(db, c);
  let compiled = key === undefined ? undefined : cache?.get(key);
  if (!compiled) {
    const { where, stable } = condition.build();
    compiled = buildList(db, c, sortTerms, perPage, page, where);
    if (cache && key !== undefined && stable) {
      if (cache.size >= COMPILED_PER_COLLECTION) cache.delete(cache.keys().next().value!);
      cache.set(key, compiled);
    }
  }
  const { list, count } = compiled;
  const [rows, total] = await Promise.all([
    ex.all<Record<string, unknown>>(list),
    params.skipTotal
      ? Promise.resolve(-1)
      : ex.first<{ total: number }>(count).then((r) => Number(r?.total ?? 0)),
  ]);
  return {
    items: rows.map((r) => exportRecord(c, decodeRow(c, r), viewer)),
    page,
    perPage,
    totalItems: total,
    totalPages: total < 0 ? -1 : Math.ceil(total / perPage),
  };
}
