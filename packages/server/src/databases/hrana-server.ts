import { randomBytes } from 'node:crypto';
import {
  type HranaBatch,
  type HranaBatchCond,
  type HranaError,
  HranaFailure,
  type HranaStmt,
  type HranaStmtResult,
  type HranaStreamRequest,
  type HranaStreamResult,
} from './hrana-proto.ts';
import { statementParams } from './sql-policy.ts';
import type { TenantDatabase } from './tenant-database.ts';

/** Stored SQL texts a stream may keep (`store_sql`), like sqld's limit. */
const MAX_STORED_SQL = 150;

/** Who opened a stream: the database and whether the credentials are read-only. */
export interface StreamAccess {
  database: string;
  readOnly: boolean;
}

interface Stream {
  tenant: TenantDatabase;
  access: StreamAccess;
  sqls: Map<number, string>;
  baton?: string;
  timer?: NodeJS.Timeout;
  /** This request reads beside another stream's transaction, on the reader connection. */
  aside?: boolean;
}

export interface PipelineBody {
  baton?: string | null;
  requests: HranaStreamRequest[];
}

export interface PipelineResponse {
  baton: string | null;
  base_url: null;
  results: HranaStreamResult[];
}

/**
 * Hrana over HTTP: each request carries a batch of stream requests and, to continue a
 * stream, the baton of the previous response. A stream that stays open (an interactive
 * transaction, stored SQL) lives here under its baton until the client closes it or it
 * sits idle for the database's `idleTransactionMs`: then its transaction is rolled back
 * and its baton answers `STREAM_EXPIRED`. A baton is single-use; every response gives
 * the next one. See libSQL's docs/HRANA_3_SPEC.md, "Hrana over HTTP".
 */
export function createHranaServer() {
  const streams = new Map<string, Stream>();

  /** The stream a baton continues, or a new one. */
  function streamOf(baton: string | null | undefined, tenant: TenantDatabase, access: StreamAccess): Stream {
    if (baton === null || baton === undefined) return { tenant, access, sqls: new Map() };
    const s = streams.get(baton);
    if (!s || s.tenant !== tenant || s.access.database !== access.database || s.tenant.closed)
      throw new HranaFailure('The baton is unknown or its stream has expired', 'STREAM_EXPIRED', 400);
    if (s.access.readOnly !== access.readOnly)
      throw new HranaFailure('The baton belongs to other credentials', 'STREAM_EXPIRED', 400);
    streams.delete(baton);
    clearTimeout(s.timer);
    s.baton = undefined;
    return s;
  }

  /** Keeps `s` under a new baton, or ends it. */
  function park(s: Stream, close: boolean): string | null {
    const aside = s.aside;
    s.aside = false;
    if (close || s.tenant.closed) {
      if (!aside) {
        s.tenant.abandon(s);
        s.tenant.settle(s);
      }
      return null;
    }
    if (!aside) s.tenant.settle(s);
    const baton = randomBytes(18).toString('base64url');
    s.baton = baton;
    streams.set(baton, s);
    s.timer = setTimeout(() => expire(s), s.tenant.limits.idleTransactionMs);
    s.timer.unref();
    return baton;
  }

  function expire(s: Stream): void {
    if (s.baton) streams.delete(s.baton);
    s.baton = undefined;
    s.tenant.abandon(s);
  }

  /**
   * Waits for the connection, unless another stream's transaction holds it and every
   * statement of `requests` only reads: those run at once on the reader connection.
   */
  async function begin(s: Stream, requests: HranaStreamRequest[]): Promise<void> {
    if (s.tenant.busyFor(s)) {
      const sqls = readSqls(s, requests);
      if (sqls && s.tenant.canReadAside(sqls)) {
        s.aside = true;
        return;
      }
    }
    const wait = s.tenant.acquire(s);
    if (wait) await wait;
  }

  /** The SQL texts of requests that may run aside, or undefined when one may not. */
  function readSqls(s: Stream, requests: HranaStreamRequest[]): string[] | undefined {
    const sqls: string[] = [];
    try {
      for (const req of requests) {
        if (req.type === 'execute') sqls.push(sqlOf(s, req.stmt?.sql, req.stmt?.sql_id));
        else if (req.type === 'describe') sqls.push(sqlOf(s, req.sql, req.sql_id));
        else if (req.type === 'batch')
          for (const step of req.batch.steps) sqls.push(sqlOf(s, step.stmt.sql, step.stmt.sql_id));
        else if (req.type !== 'close' && req.type !== 'get_autocommit') return undefined;
      }
    } catch {
      return undefined;
    }
    return sqls;
  }

  function sqlOf(s: Stream, sql: string | null | undefined, id: number | null | undefined): string {
    if (typeof sql === 'string') return sql;
    if (typeof id === 'number') {
      const stored = s.sqls.get(id);
      if (stored !== undefined) return stored;
      throw new HranaFailure(`SQL text ${id} was not stored on this stream`, 'SQL_NOT_FOUND');
    }
    throw new HranaFailure('A statement needs `sql` or `sql_id`', 'HRANA_PROTO_ERROR');
  }

  function execute(s: Stream, stmt: HranaStmt): HranaStmtResult {
    if (!stmt || typeof stmt !== 'object')
      throw new HranaFailure('`stmt` must be an object', 'HRANA_PROTO_ERROR');
    return s.tenant.execute(stmt, sqlOf(s, stmt.sql, stmt.sql_id), {
      readOnly: s.access.readOnly,
      aside: s.aside === true,
    });
  }

  /** Runs a batch: each step when its condition holds; a failed step does not stop the others. */
  function runBatch(
    s: Stream,
    batch: HranaBatch,
    each?: (i: number, r: HranaStmtResult | null, e: HranaError | null) => void,
  ) {
    if (!batch || !Array.isArray(batch.steps))
      throw new HranaFailure('`batch.steps` must be an array', 'HRANA_PROTO_ERROR');
    const results: (HranaStmtResult | null)[] = [];
    const errors: (HranaError | null)[] = [];
    const holds = (c: HranaBatchCond | null | undefined, i: number): boolean => {
      if (!c) return true;
      switch (c.type) {
        case 'ok':
        case 'error':
          if (!(c.step < i && c.step >= 0))
            throw new HranaFailure(`A condition of step ${i} refers to step ${c.step}`, 'HRANA_PROTO_ERROR');
          return c.type === 'ok' ? results[c.step] != null : errors[c.step] != null;
        case 'not':
          return !holds(c.cond, i);
        case 'and':
          return c.conds.every((x) => holds(x, i));
        case 'or':
          return c.conds.some((x) => holds(x, i));
        case 'is_autocommit':
          return s.aside === true || s.tenant.isAutocommit();
        default:
          throw new HranaFailure('Unknown batch condition', 'HRANA_PROTO_ERROR');
      }
    };
    batch.steps.forEach((step, i) => {
      results.push(null);
      errors.push(null);
      if (!holds(step.condition, i)) return;
      try {
        results[i] = execute(s, step.stmt);
      } catch (e) {
        errors[i] = failureOf(e).toProto();
      }
      each?.(i, results[i]!, errors[i]!);
    });
    return { step_results: results, step_errors: errors };
  }

  function handle(s: Stream, req: HranaStreamRequest): Record<string, unknown> & { type: string } {
    switch (req?.type) {
      case 'close':
        return { type: 'close' };
      case 'execute':
        return { type: 'execute', result: execute(s, req.stmt) };
      case 'batch':
        return { type: 'batch', result: runBatch(s, req.batch) };
      case 'sequence':
        s.tenant.sequence(sqlOf(s, req.sql, req.sql_id), { readOnly: s.access.readOnly });
        return { type: 'sequence' };
      case 'describe': {
        const sql = sqlOf(s, req.sql, req.sql_id);
        return { type: 'describe', result: s.tenant.describe(sql, statementParams(sql), s.aside === true) };
      }
      case 'store_sql':
        if (typeof req.sql_id !== 'number' || typeof req.sql !== 'string')
          throw new HranaFailure('`store_sql` needs `sql_id` and `sql`', 'HRANA_PROTO_ERROR');
        if (s.sqls.has(req.sql_id))
          throw new HranaFailure(`SQL text ${req.sql_id} is already stored`, 'SQL_EXISTS');
        if (s.sqls.size >= MAX_STORED_SQL)
          throw new HranaFailure(`A stream stores at most ${MAX_STORED_SQL} SQL texts`, 'SQL_TOO_MANY');
        s.sqls.set(req.sql_id, req.sql);
        return { type: 'store_sql' };
      case 'close_sql':
        s.sqls.delete(req.sql_id);
        return { type: 'close_sql' };
      case 'get_autocommit':
        return { type: 'get_autocommit', is_autocommit: s.aside === true || s.tenant.isAutocommit() };
      default:
        throw new HranaFailure(
          `Unknown request type ${JSON.stringify((req as { type?: unknown })?.type)}`,
          'HRANA_PROTO_ERROR',
        );
    }
  }

  return {
    /** POST …/v2/pipeline and …/v3/pipeline. */
    async pipeline(
      tenant: TenantDatabase,
      access: StreamAccess,
      body: PipelineBody,
    ): Promise<PipelineResponse> {
      const s = streamOf(body.baton, tenant, access);
      let close = false;
      const results: HranaStreamResult[] = [];
      try {
        await begin(s, body.requests);
        for (const req of body.requests) {
          if (close) {
            results.push({
              type: 'error',
              error: { message: 'The stream is closed', code: 'STREAM_CLOSED' },
            });
            continue;
          }
          try {
            results.push({ type: 'ok', response: handle(s, req) });
            if (req.type === 'close') close = true;
          } catch (e) {
            results.push({ type: 'error', error: failureOf(e).toProto() });
          }
        }
      } finally {
        park(s, close);
      }
      return { baton: s.baton ?? null, base_url: null, results };
    },

    /** POST …/v3/cursor: a batch whose results are newline-delimited JSON entries. */
    async cursor(
      tenant: TenantDatabase,
      access: StreamAccess,
      body: { baton?: string | null; batch: HranaBatch },
    ) {
      const s = streamOf(body.baton, tenant, access);
      const lines: string[] = [];
      try {
        await begin(s, [{ type: 'batch', batch: body.batch }]);
        runBatch(s, body.batch, (step, r, error) => {
          if (error) {
            lines.push(JSON.stringify({ type: 'step_error', step, error }));
            return;
          }
          if (!r) return;
          lines.push(JSON.stringify({ type: 'step_begin', step, cols: r.cols }));
          for (const row of r.rows) lines.push(JSON.stringify({ type: 'row', row }));
          lines.push(
            JSON.stringify({
              type: 'step_end',
              affected_row_count: r.affected_row_count,
              last_insert_rowid: r.last_insert_rowid,
            }),
          );
        });
      } finally {
        park(s, false);
      }
      return `${JSON.stringify({ baton: s.baton ?? null, base_url: null })}\n${lines.map((l) => `${l}\n`).join('')}`;
    },

    /** Ends every stream of a database (deleted, restored): their batons stop working. */
    drop(database: string): void {
      for (const [baton, s] of streams)
        if (s.access.database === database) {
          clearTimeout(s.timer);
          streams.delete(baton);
        }
    },

    /** Open streams (for stats). */
    openStreams(database: string): number {
      let n = 0;
      for (const s of streams.values()) if (s.access.database === database) n++;
      return n;
    },

    close(): void {
      for (const s of streams.values()) clearTimeout(s.timer);
      streams.clear();
    },
  };
}

export type HranaServer = ReturnType<typeof createHranaServer>;

function failureOf(e: unknown): HranaFailure {
  return e instanceof HranaFailure
    ? e
    : new HranaFailure(e instanceof Error ? e.message : String(e), 'UNKNOWN');
}
