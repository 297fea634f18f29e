import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvRecord, readCsv } from '../../src/tools/csv.ts';
import { FormatError } from '../../src/tools/format-error.ts';

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function rows(text: string, size = text.length || 1) {
  const out: { line: number; cells: string[] }[] = [];
  for await (const r of readCsv(chunksOf(text, size))) out.push(r);
  return out;
}

describe('readCsv', () => {
  test('cells, quotes, doubled quotes, commas and line breaks inside quotes, CRLF and blank lines', async () => {
    const text = '\uFEFFa,b,c\r\n1,"x, ""y""","multi\nline"\n\n2,,end\rlast,"",z';
    const expected = [
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['1', 'x, "y"', 'multi\nline'] },
      { line: 5, cells: ['2', '', 'end'] },
      { line: 6, cells: ['last', '', 'z'] },
    ];
    // every split of the input into chunks reads the same records
    for (const size of [text.length, 1, 2, 3, 5, 7])
      assert.deepEqual(await rows(text, size), expected, `chunks of ${size}`);
  });

  test('a quote inside an unquoted cell is text; a trailing newline adds no record', async () => {
    assert.deepEqual(await rows('5" disk,a\n'), [{ line: 1, cells: ['5" disk', 'a'] }]);
  });

  test('a closing quote followed by text, or a quote never closed, is refused with its line', async () => {
    await assert.rejects(rows('a\n"x"y,1\n'), (e: unknown) => e instanceof FormatError && e.line === 2);
    await assert.rejects(
      rows('a\nb\n"open,1\n2\n'),
      (e: unknown) => e instanceof FormatError && e.line === 3,
    );
  });

  test('what csvRecord writes reads back the same, whatever the chunking', async () => {
    const cells = [
      ['plain', 'with,comma', 'with "quote"', 'two\r\nlines', ' padded ', ''],
      ['ünïcödé ✓', '"', ',', '\n', 'x'],
    ];
    const text = cells.map(csvRecord).join('');
    for (const size of [1, 4, 64])
      assert.deepEqual(
        (await rows(text, size)).map((r) => r.cells),
        cells,
      );
  });

  test('a long cell reads in time linear in its length', async () => {
    const big = `${'x'.repeat(2_000_000)},"${'y'.repeat(2_000_000)}"\n`;
    const [row] = await rows(big, 65536);
    assert.equal(row?.cells[0]?.length, 2_000_000);
    assert.equal(row?.cells[1]?.length, 2_000_000);
  });
});
