import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  csvCells,
  csvHeader,
  csvValues,
  exportRecords,
  type ImportRow,
  importRecords,
} from '../records/record-transfer.ts';
import { asSystem } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import { csvRecord, readCsv } from '../tools/csv.ts';
import { readJsonArray, readNdjson } from '../tools/json-stream.ts';
import { configFrom, withApp } from './common.ts';
import { progressBar } from './progress.ts';

type Format = 'json' | 'ndjson' | 'csv';
const FORMATS: readonly Format[] = ['json', 'ndjson', 'csv'];
const BY_EXTENSION: Record<string, Format> = {
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.csv': 'csv',
};

/** `--format` when given, else the file's extension, else JSON. */
function formatOf(file: string | undefined, given: string | undefined): Format {
  if (given !== undefined) {
    if (!FORMATS.includes(given as Format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
    return given as Format;
  }
  return (file && BY_EXTENSION[extname(file).toLowerCase()]) || 'json';
}

/** Counts the bytes a stream has handed on, for the progress bar. */
async function* counted(stream: Readable, onBytes: (n: number) => void): AsyncGenerator<string> {
  let n = 0;
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    n += Buffer.byteLength(chunk);
    onBytes(n);
    yield chunk;
  }
}

/** The rows of a file in one of the formats, as record values with their lines. */
async function* rowsOf(
  c: Collection,
  format: Format,
  text: AsyncIterable<string>,
): AsyncGenerator<ImportRow> {
  if (format === 'csv') {
    let header: string[] | undefined;
    for await (const { line, cells } of readCsv(text)) {
      if (!header) header = cells.map((h) => h.trim());
      else yield { line, values: csvValues(c, header, cells) };
    }
    return;
  }
  for await (const { line, value } of format === 'json' ? readJsonArray(text) : readNdjson(text))
    yield { line, values: value };
}

/** Writes with backpressure: waits for `drain` when the stream's buffer is full. */
async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

/**
 * `forgebase import COLLECTION FILE` and `forgebase export COLLECTION [FILE]`: records
 * in JSON (an array), NDJSON or CSV, streamed both ways (a million rows in flat memory),
 * through the record service so validation, hooks and the change log see every record.
 */
export function registerRecordsTransferCommands(program: Command): void {
  program
    .command('import <collection> <file>')
    .description('create the records of FILE (JSON array, NDJSON or CSV; "-" reads stdin) in COLLECTION')
    .option('--format <format>', 'json, ndjson or csv (default: from the extension, else json)')
    .option('--skip-invalid', 'skip refused rows (reported with their line) instead of importing nothing')
    .option('--batch <rows>', 'rows per transaction with --skip-invalid', '500')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        name: string,
        file: string,
        o: { format?: string; skipInvalid?: boolean; batch: string; json?: boolean },
        c: Command,
      ) => {
        const format = formatOf(file === '-' ? undefined : file, o.format);
        const batchSize = Number(o.batch);
        if (!Number.isInteger(batchSize) || batchSize < 1)
          throw new Error('--batch must be a positive integer');
        const size = file === '-' ? 0 : (await stat(file)).size;
        await withApp(configFrom(c), async (app) => {
          const collection = app.collections.get(name);
          if (collection.type === 'view')
            throw new Error(`${name} is a view collection: it has no records of its own`);
          const input = file === '-' ? process.stdin : createReadStream(file);
          const bar = progressBar('import');
          let rows = 0;
          const text = counted(input, (bytes) => bar.update(bytes, Math.max(size, bytes), `${rows} rows`));
          try {
            const result = await importRecords(app.records, collection, rowsOf(collection, format, text), {
              skipInvalid: o.skipInvalid === true,
              batchSize,
              onRow: (n) => {
                rows = n;
              },
            });
            bar.stop();
            if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
            else {
              for (const p of result.problems) process.stderr.write(`line ${p.line}: ${p.message}\n`);
              const more = result.skipped - result.problems.length;
              if (more > 0) process.stderr.write(`… and ${more} more refused row(s)\n`);
              process.stdout.write(
                `Imported ${result.imported} record(s) into ${name}${result.skipped ? `, skipped ${result.skipped}` : ''}.\n`,
              );
            }
          } catch (e) {
            bar.stop();
            input.destroy();
            const where = file === '-' ? 'stdin' : file;
            const message = (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
            const kept = o.skipInvalid
              ? 'The batches committed before it stay imported.'
              : 'Nothing was imported.';
            throw new Error(`${where} ${message}. ${kept}`);
          }
        });
      },
    );

  program
    .command('export <collection> [file]')
    .description('write the records of COLLECTION to FILE (default: stdout) as JSON, NDJSON or CSV')
    .option('--format <format>', 'json, ndjson or csv (default: from the extension, else json)')
    .option('--filter <filter>', 'only the records that match this filter')
    .action(
      async (name: string, file: string | undefined, o: { format?: string; filter?: string }, c: Command) => {
        const format = formatOf(file, o.format);
        await withApp(configFrom(c), async (app) => {
          const collection = app.collections.get(name);
          const filter = o.filter ? { filter: o.filter } : {};
          const total = file
            ? (await app.records.list(name, { perPage: 1, ...filter }, asSystem())).totalItems
            : 0;
          const out: Writable = file ? createWriteStream(file) : process.stdout;
          const bar = file ? progressBar('export') : undefined;
          const header = csvHeader(collection);
          let n = 0;
          try {
            if (format === 'csv') await put(out, csvRecord(header));
            if (format === 'json') await put(out, '[');
            for await (const record of exportRecords(app.records, collection, filter)) {
              if (format === 'csv') await put(out, csvRecord(csvCells(collection, header, record)));
              else if (format === 'json') await put(out, `${n ? ',' : ''}\n${JSON.stringify(record)}`);
              else await put(out, `${JSON.stringify(record)}\n`);
              n++;
              if (n % 1000 === 0) bar?.update(n, total, name);
            }
            if (format === 'json') await put(out, n ? '\n]\n' : ']\n');
            bar?.update(n, total, name);
          } finally {
            bar?.stop();
            if (file) {
              out.end();
              await finished(out);
            }
          }
          if (file) process.stderr.write(`Exported ${n} record(s) of ${name} to ${file}.\n`);
        });
      },
    );
}
