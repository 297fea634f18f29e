import { FormatError } from './format-error.ts';

/** One CSV record and the line it starts on. */
export interface CsvRow {
  line: number;
  cells: string[];
}

/** The longest record read before the file counts as malformed (a missing closing quote). */
const MAX_ROW_CHARS = 16 * 1024 * 1024;
const SPECIAL = /[,"\r\n]/g;

/**
 * Reads RFC 4180 CSV from text chunks, one record at a time: quoted cells may hold commas,
 * quotes (`""`) and line breaks; `\r\n`, `\n` and `\r` end a record; blank lines are
 * skipped; a leading BOM is dropped. Linear in the input, memory bounded by the longest
 * record (16 Mi characters).
 *
 * @example for await (const { line, cells } of readCsv(stream.setEncoding('utf8'))) …
 */
export async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvRow> {
  let cells: string[] = [];
  let cell = '';
  let rowChars = 0;
  let quoted = false; // inside a quoted cell
  let quoteSeen = false; // a quote inside a quoted cell: the end, or the first of `""`
  let afterCr = false; // a `\n` right after `\r` belongs to the same line break
  let cellStarted = false;
  let line = 1;
  let rowLine = 1;
  let first = true;

  const endCell = () => {
    cells.push(cell);
    cell = '';
    cellStarted = false;
  };
  const endRow = (): CsvRow | undefined => {
    endCell();
    const row = cells.length === 1 && cells[0] === '' ? undefined : { line: rowLine, cells };
    cells = [];
    rowChars = 0;
    return row;
  };

  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    rowChars += chunk.length;
    if (rowChars > MAX_ROW_CHARS) throw new FormatError(rowLine, 'a record is longer than 16 Mi characters');
    let i = 0;
    while (i < chunk.length) {
      if (afterCr) {
        afterCr = false;
        if (chunk.charCodeAt(i) === 10) {
          i++;
          continue;
        }
      }
      if (quoteSeen) {
        quoteSeen = false;
        if (chunk[i] === '"') {
          cell += '"';
          i++;
          continue;
        }
        quoted = false;
        const c = chunk[i];
        if (c !== ',' && c !== '\n' && c !== '\r')
          throw new FormatError(line, 'a closing quote must end its cell');
      }
      if (quoted) {
        const q = chunk.indexOf('"', i);
        const text = q === -1 ? chunk.slice(i) : chunk.slice(i, q);
        for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) line++;
        cell += text;
        if (q === -1) break;
        quoteSeen = true;
        i = q + 1;
        continue;
      }
      const c = chunk[i];
      if (c === '"' && !cellStarted) {
        quoted = true;
        cellStarted = true;
        i++;
        continue;
      }
      if (c === ',') {
        endCell();
        i++;
        continue;
      }
      if (c === '\n' || c === '\r') {
        const row = endRow();
        if (row) yield row;
        line++;
        rowLine = line;
        afterCr = c === '\r';
        i++;
        continue;
      }
      // plain text up to the next special character (a quote inside it is kept as text)
      SPECIAL.lastIndex = c === '"' ? i + 1 : i;
      const m = SPECIAL.exec(chunk);
      let end = m ? m.index : chunk.length;
      while (end < chunk.length && chunk[end] === '"') {
        SPECIAL.lastIndex = end + 1;
        end = SPECIAL.exec(chunk)?.index ?? chunk.length;
      }
      cell += chunk.slice(i, end);
      cellStarted = true;
      i = end;
    }
  }
  if (quoted && !quoteSeen) throw new FormatError(rowLine, 'a quoted cell is not closed');
  const row = endRow();
  if (row) yield row;
}

/** One CSV record's text (with its line break): cells quoted when they need it. */
export function csvRecord(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) || s.trim() !== s ? `"${s.replaceAll('"', '""')}"` : s;
}
