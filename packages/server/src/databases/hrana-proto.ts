/**
 * The JSON shapes of Hrana over HTTP (versions 2 and 3), as libSQL's HRANA_3_SPEC.md
 * defines them and `@libsql/hrana-client` sends and reads them.
 */

export type HranaValue =
  | { type: 'null' }
  | { type: 'integer'; value: string }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'blob'; base64: string };

export interface HranaStmt {
  sql?: string | null;
  sql_id?: number | null;
  args?: HranaValue[];
  named_args?: { name: string; value: HranaValue }[];
  want_rows?: boolean;
}

export type HranaBatchCond =
  | { type: 'ok'; step: number }
  | { type: 'error'; step: number }
  | { type: 'not'; cond: HranaBatchCond }
  | { type: 'and'; conds: HranaBatchCond[] }
  | { type: 'or'; conds: HranaBatchCond[] }
  | { type: 'is_autocommit' };

export interface HranaBatch {
  steps: { condition?: HranaBatchCond | null; stmt: HranaStmt }[];
}

export interface HranaError {
  message: string;
  code?: string;
}

export interface HranaCol {
  name: string | null;
  decltype: string | null;
}

export interface HranaStmtResult {
  cols: HranaCol[];
  rows: HranaValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  rows_read: number;
  rows_written: number;
  query_duration_ms: number;
}

export type HranaStreamRequest =
  | { type: 'close' }
  | { type: 'execute'; stmt: HranaStmt }
  | { type: 'batch'; batch: HranaBatch }
  | { type: 'sequence'; sql?: string | null; sql_id?: number | null }
  | { type: 'describe'; sql?: string | null; sql_id?: number | null }
  | { type: 'store_sql'; sql_id: number; sql: string }
  | { type: 'close_sql'; sql_id: number }
  | { type: 'get_autocommit' };

export type HranaStreamResult =
  | { type: 'ok'; response: Record<string, unknown> & { type: string } }
  | { type: 'error'; error: HranaError };

/** A failure reported to the client in Hrana's error shape (`{message, code}`). */
export class HranaFailure extends Error {
  readonly code: string;
  /** The HTTP status when the failure is the whole request's (auth, unknown baton). */
  readonly status: number;
  constructor(message: string, code: string, status = 400) {
    super(message);
    this.name = 'HranaFailure';
    this.code = code;
    this.status = status;
  }
  toProto(): HranaError {
    return { message: this.message, code: this.code };
  }
}

/** A JS value for node:sqlite from a Hrana value (integers as BigInt: exact, and typed INTEGER). */
export function valueToSqlite(v: HranaValue | undefined): null | bigint | number | string | Uint8Array {
  switch (v?.type) {
    case 'integer':
      return BigInt(v.value);
    case 'float':
      return Number(v.value);
    case 'text':
      return v.value;
    case 'blob':
      return Buffer.from(v.base64, 'base64');
    case 'null':
      return null;
    default:
      throw new HranaFailure(
        `Unknown value type ${JSON.stringify((v as unknown as { type?: unknown } | undefined)?.type)}`,
        'HRANA_PROTO_ERROR',
      );
  }
}

/** A Hrana value from what node:sqlite reads (with read-BigInts on). */
export function valueFromSqlite(v: unknown): HranaValue {
  switch (typeof v) {
    case 'bigint':
      return { type: 'integer', value: v.toString() };
    case 'number':
      return { type: 'float', value: v };
    case 'string':
      return { type: 'text', value: v };
    default:
      if (v === null || v === undefined) return { type: 'null' };
      return { type: 'blob', base64: Buffer.from(v as Uint8Array).toString('base64') };
  }
}
