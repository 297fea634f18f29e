import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { DEFAULT_PER_PAGE, type ListParams, type ListResult, MAX_PER_PAGE } from '../records/list.ts';
import { decodeRow } from '../records/record-codec.ts';
import { orderBySort } from '../records/sort.ts';
import { LOGS_TABLE, logCondition, logSort } from './log-filter.ts';

/** One log entry as the API shows it (PocketBase's Log model: no `updated`). */
export interface LogModel {
  id: string;
  created: string;
  data: Record<string, unknown>;
  message: string;
  level: number;
}

/** Requests per hour (PocketBase's LogsStatsItem): `date` is the hour's start. */
export interface LogsStatsItem {
  total: number;
  date: string;
}

/**
 * `_logs` as logs/migrations.ts creates it (apart from the app's system tables: on SQLite
 * it lives in logs.db). `data` is JSON text on SQLite, parsed by the driver on PostgreSQL.
 */
interface LogTables {
  _logs: { id: string; level: number; message: string; data: unknown; created: string };
}

const COLUMNS = ['id', 'created', 'data', 'message', 'level'] as const;

function toModel(row: Record<string, unknown>): LogModel {
  const v = decodeRow(LOGS_TABLE, row);
  const data = v.data && typeof v.data === 'object' && !Array.isArray(v.data) ? v.data : {};
  return {
    id: String(v.id),
    created: String(v.created),
    data: data as Record<string, unknown>,
    message: String(v.message),
    level: Number(v.level),
  };
}

/**
 * The SQL of `_logs` (in logs.db on SQLite, in the app's database on PostgreSQL): batch
 * inserts, PocketBase's list/view/stats queries and the retention deletes.
 */
export function createLogStore(db: Database) {
  const qb = db.qb as Kysely<LogTables>;
  const logs = () => qb.selectFrom('_logs');
  return {
    /** Inserts a batch in one statement (one commit). */
    async insert(entries: LogModel[]): Promise<void> {
      if (entries.length === 0) return;
      const rows = entries.map((e) => ({ ...e, data: JSON.stringify(e.data) }));
      await db.run(qb.insertInto('_logs').values(rows));
    },

    /** One page, PocketBase's list: filter, sort, page, perPage, skipTotal; ties in insertion order. */
    async list(params: ListParams): Promise<ListResult> {
      const page = params.page && params.page > 0 ? Math.floor(params.page) : 1;
      const perPage = Math.min(
        params.perPage && params.perPage > 0 ? Math.floor(params.perPage) : DEFAULT_PER_PAGE,
        MAX_PER_PAGE,
      );
      const where = logCondition(db, params.filter);
      const terms = logSort(db, params.sort);
      let query = logs().select(COLUMNS);
      let count = logs().select(sql<number>`COUNT(*)`.as('total'));
      if (where) {
        query = query.where(where);
        count = count.where(where);
      }
      query = orderBySort(query, terms, db.filter.rowIdColumn);
      const [rows, total] = await Promise.all([
        db.all<Record<string, unknown>>(query.limit(perPage).offset((page - 1) * perPage)),
        params.skipTotal ? Promise.resolve(-1) : db.first(count).then((r) => Number(r?.total ?? 0)),
      ]);
      return {
        items: rows.map(toModel) as unknown as Record<string, unknown>[],
        page,
        perPage,
        totalItems: total,
        totalPages: total < 0 ? -1 : Math.ceil(total / perPage),
      };
    },

    async find(id: string): Promise<LogModel | undefined> {
      const row = await db.first<Record<string, unknown>>(logs().select(COLUMNS).where('id', '=', id));
      return row ? toModel(row) : undefined;
    },

    /** Entries per hour, oldest hour first, over the entries the filter keeps. */
    async stats(filter: string | undefined): Promise<LogsStatsItem[]> {
      const where = logCondition(db, filter);
      const hour = db.filter.strftime('%Y-%m-%d %H:00:00', sql.ref('created'));
      let query = logs().select([sql<number>`COUNT(*)`.as('total'), hour.as('date')]);
      if (where) query = query.where(where);
      // by position: PostgreSQL binds the format twice, and $1 is not $2 to GROUP BY
      const rows = await db.all(query.groupBy(sql.raw('2')).orderBy(sql.raw('2')));
      return rows.map((r) => ({ total: Number(r.total), date: `${String(r.date)}.000Z` }));
    },

    /** Deletes the entries created at or before `date` (stored format); returns how many. */
    async deleteUntil(date: string): Promise<number> {
      return (await db.run(qb.deleteFrom('_logs').where('created', '<=', date))).changes;
    },

    /** Deletes the entries created at or before `date`, or below `level` (a settings change). */
    async deleteUntilOrBelow(date: string, level: number): Promise<number> {
      const q = qb
        .deleteFrom('_logs')
        .where((eb) => eb.or([eb('created', '<=', date), eb('level', '<', level)]));
      return (await db.run(q)).changes;
    },

    async deleteAll(): Promise<void> {
      await db.run(qb.deleteFrom('_logs'));
    },
  };
}

export type LogStore = ReturnType<typeof createLogStore>;
