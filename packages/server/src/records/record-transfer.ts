import { ApiError } from '../errors/api-error.ts';
import { bindFilterParams } from '../query/filter-params.ts';
import { asSystem } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import { isMulti } from '../schema/field.ts';
import type { RecordMethods, RecordTx } from './record-api.ts';

/** What the record service offers an import: writes, one transaction or many. */
export interface ImportTarget {
  inTransaction<T>(fn: (records: RecordTx) => Promise<T>, opts?: { savepoints?: boolean }): Promise<T>;
}

/** One row to import and the line of the file it came from. */
export interface ImportRow {
  line: number;
  values: Record<string, unknown>;
}

export interface ImportOptions {
  /**
   * Skip the rows the record service refuses (each reported with its line) and import the
   * rest in transactions of `batchSize` rows; without it one refused row imports nothing.
   */
  skipInvalid?: boolean;
  /** Rows per transaction with `skipInvalid` (default 500). */
  batchSize?: number;
  /** Told the number of rows read so far, after each row. */
  onRow?: (rows: number) => void;
}

/** A refused row: its line and the record service's message with its field errors. */
export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportResult {
  imported: number;
  skipped: number;
  /** The first 100 refused rows. */
  problems: ImportProblem[];
}

/** An all-or-nothing import stopped at a refused row; nothing was written. */
export class ImportRowError extends Error {
  readonly line: number;
  override readonly cause: ApiError;
  constructor(line: number, cause: ApiError) {
    super(`line ${line}: ${problemText(cause)}`);
    this.line = line;
    this.cause = cause;
    this.name = 'ImportRowError';
  }
}

const MAX_PROBLEMS = 100;

/**
 * Imports rows into a collection through the record service as the system viewer, so
 * validation, hooks and the change log see every record as if the API had created it (ids
 * given in the rows are kept; autodate fields get the import's time, as over the API).
 * An auth row with a `password` and no `passwordConfirm` is confirmed by the import.
 * Rows are pulled one at a time: memory stays flat whatever the file's size.
 *
 * @example
 * await importRecords(app.records, 'posts', rowsOf(file), { skipInvalid: true });
 */
export async function importRecords(
  target: ImportTarget,
  collection: Collection,
  rows: AsyncIterable<ImportRow>,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, skipped: 0, problems: [] };
  let read = 0;
  const prepared = async function* (): AsyncGenerator<ImportRow> {
    for await (const row of rows) {
      read++;
      yield { line: row.line, values: withConfirmedPassword(collection, row.values) };
      opts.onRow?.(read);
    }
  };
  if (!opts.skipInvalid) {
    // the first refused row ends the transaction: its writes need no savepoints
    await target.inTransaction(
      async (r) => {
        for await (const row of prepared()) {
          await createRow(r, collection, row).catch((e: unknown) => {
            throw e instanceof ApiError ? new ImportRowError(row.line, e) : e;
          });
          result.imported++;
        }
      },
      { savepoints: false },
    );
    return result;
  }
  const size = Math.max(1, opts.batchSize ?? 500);
  let batch: ImportRow[] = [];
  const flush = async () => {
    const rowsOfBatch = batch;
    batch = [];
    await target.inTransaction(async (r) => {
      for (const row of rowsOfBatch) {
        try {
          // each create is a savepoint of the batch: a refused one leaves the others
          await createRow(r, collection, row);
          result.imported++;
        } catch (e) {
          if (!(e instanceof ApiError) || e.status >= 500) throw e;
          result.skipped++;
          if (result.problems.length < MAX_PROBLEMS)
            result.problems.push({ line: row.line, message: problemText(e) });
        }
      }
    });
  };
  for await (const row of prepared()) {
    batch.push(row);
    if (batch.length >= size) await flush();
  }
  if (batch.length) await flush();
  return result;
}

function createRow(r: RecordTx, c: Collection, row: ImportRow): Promise<unknown> {
  return r.create(c.name, row.values, asSystem());
}

function withConfirmedPassword(c: Collection, values: Record<string, unknown>): Record<string, unknown> {
  if (c.type !== 'auth' || typeof values.password !== 'string' || 'passwordConfirm' in values) return values;
  return { ...values, passwordConfirm: values.password };
}

/** The message and each field error: `Failed to create record. title: Cannot be blank.` */
export function problemText(e: ApiError): string {
  const fieldErrors = Object.entries(e.data).map(([k, v]) =>
    typeof (v as { message?: unknown }).message === 'string'
      ? `${k}: ${(v as { message: string }).message}`
      : k,
  );
  return [e.message, ...fieldErrors].join(' ');
}

/** Fields an export leaves out: secrets (password hashes, token keys) never leave the server. */
function exportedFields(c: Collection): string[] {
  return c.fields
    .filter((f) => f.type !== 'password' && !(c.type === 'auth' && f.name === 'tokenKey'))
    .map((f) => f.name);
}

const PAGE = 1000;

/**
 * Every record of a collection as the system viewer sees it (secrets left out), in id
 * order, a page at a time by keyset (`id > last`), so it is flat in memory and each page
 * costs the same however deep the export is. `filter` narrows it (the filter language).
 */
export async function* exportRecords(
  records: Pick<RecordMethods, 'list'>,
  c: Collection,
  opts: { filter?: string } = {},
): AsyncGenerator<Record<string, unknown>> {
  const names = exportedFields(c);
  let last: string | undefined;
  for (;;) {
    const after = last === undefined ? '' : bindFilterParams('id > {:last}', { last });
    const filter = [opts.filter ? `(${opts.filter})` : '', after].filter(Boolean).join(' && ');
    const page = await records.list(
      c.name,
      { filter, sort: 'id', perPage: PAGE, skipTotal: true },
      asSystem(),
    );
    for (const item of page.items) {
      const out: Record<string, unknown> = {};
      for (const n of names) if (n in item) out[n] = item[n];
      yield out;
    }
    if (page.items.length < PAGE) return;
    last = String(page.items[page.items.length - 1]?.id);
  }
}

/** The CSV header of a collection's export: its exported fields in collection order. */
export function csvHeader(c: Collection): string[] {
  return exportedFields(c);
}

/**
 * A record's CSV cells under `header`: text as is, arrays as JSON, a JSON field's value as
 * JSON text (so `""` and `null` stay apart), null as an empty cell.
 */
export function csvCells(
  c: Collection,
  header: readonly string[],
  record: Record<string, unknown>,
): string[] {
  return header.map((name) => {
    const v = record[name];
    if (v === null || v === undefined) return '';
    if (typeof v === 'object' || jsonField(c, name)) return JSON.stringify(v);
    return String(v);
  });
}

function jsonField(c: Collection, name: string): boolean {
  return c.fields.some((f) => f.name === name && f.type === 'json');
}

/**
 * A CSV row's values by its header: cells of unknown columns are dropped, a multi-value
 * field's `["a","b"]` cell becomes a list; the field types read the rest from text as they
 * read form data (numbers, booleans, JSON, dates).
 */
export function csvValues(
  c: Collection,
  header: readonly string[],
  cells: readonly string[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = cells[i];
    if (cell === undefined) return;
    const f = c.fields.find((x) => x.name === name);
    if (!f && name !== 'passwordConfirm') return;
    if (name === 'id' && cell === '') return;
    if (f?.type === 'json' && cell === '') {
      values[name] = null;
      return;
    }
    if (f && isMulti(f) && cell.startsWith('[')) {
      try {
        values[name] = JSON.parse(cell);
        return;
      } catch {
        // not JSON: the field type reads the text
      }
    }
    values[name] = cell;
  });
  return values;
}
