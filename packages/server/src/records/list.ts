import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { BadRequestError } from '../errors/api-error.ts';
import type { Collection } from '../schema/collection.ts';
import { decodeRow, exportRecord, type Viewer } from './record-codec.ts';
import { parseSort } from './sort.ts';

export interface ListParams {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
  skipTotal?: boolean;
}

export interface ListResult {
  items: Record<string, unknown>[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;

/**
 * One page of a collection (PocketBase's list): sorted, paged, counted unless
 * `skipTotal`. Ties are broken by insertion order so pages never overlap.
 */
export async function listRecords(
  db: Database,
  c: Collection,
  params: ListParams,
  viewer: Viewer,
  grant: 'all' | 'none',
): Promise<ListResult> {
  const page = params.page && params.page > 0 ? Math.floor(params.page) : 1;
  const perPage = Math.min(
    params.perPage && params.perPage > 0 ? Math.floor(params.perPage) : DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
  );
  if (params.filter?.trim()) {
    throw new BadRequestError('Filtering is not supported yet.', {
      filter: {
        code: 'validation_filter_unsupported',
        message: 'The filter parameter is not supported yet.',
      },
    });
  }
  const sortTerms = parseSort(params.sort, c, db.rowIdColumn);
  // matches PocketBase: a list whose rule matches nothing is an empty 200, never a 403
  if (grant === 'none')
    return {
      items: [],
      page,
      perPage,
      totalItems: params.skipTotal ? -1 : 0,
      totalPages: params.skipTotal ? -1 : 0,
    };

  let query = db.qb.selectFrom(c.name).selectAll();
  for (const t of sortTerms) query = query.orderBy(t.expr, t.desc ? 'desc' : 'asc');
  if (c.type !== 'view' && !sortTerms.some((t) => t.rowid))
    query = query.orderBy(sql.ref(db.rowIdColumn), 'asc');
  query = query.limit(perPage).offset((page - 1) * perPage);

  const [rows, total] = await Promise.all([
    db.all<Record<string, unknown>>(query),
    params.skipTotal
      ? Promise.resolve(-1)
      : db
          .first<{ total: number }>(db.qb.selectFrom(c.name).select(sql<number>`COUNT(*)`.as('total')))
          .then((r) => Number(r?.total ?? 0)),
  ]);
  return {
    items: rows.map((r) => exportRecord(c, decodeRow(c, r), viewer)),
    page,
    perPage,
    totalItems: total,
    totalPages: total < 0 ? -1 : Math.ceil(total / perPage),
  };
}
