import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FormatError } from '../../src/tools/format-error.ts';
import { readJsonArray, readNdjson } from '../../src/tools/json-stream.ts';

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function read(reader: typeof readJsonArray, text: string, size = text.length || 1) {
  const out: { line: number; value: Record<string, unknown> }[] = [];
  for await (const r of reader(chunksOf(text, size))) out.push(r);
  return out;
}

describe('readJsonArray', () => {
  test('objects with nested braces, brackets and escaped quotes in strings, at any chunking', async () => {
    const text = '[\n  {"a": "}{][", "b": [1, {"c": 2}]},\n  {"q": "say \\"hi\\" \\\\"}\n]\n';
    const expected = [
      { line: 2, value: { a: '}{][', b: [1, { c: 2 }] } },
      { line: 3, value: { q: 'say "hi" \\' } },
    ];
    for (const size of [text.length, 1, 2, 3, 9])
      assert.deepEqual(await read(readJsonArray, text, size), expected);
    assert.deepEqual(await read(readJsonArray, ' [ ] '), []);
  });

  test('what is not an array of objects is refused with its line', async () => {
    const refused = async (text: string, line: number) =>
      assert.rejects(read(readJsonArray, text), (e: unknown) => e instanceof FormatError && e.line === line);
    await refused('{"a":1}', 1);
    await refused('[\n{"a":1},\n2]', 3);
    await refused('[\n{"a":1},\n]', 3);
    await refused('[{"a":1}\n{"b":2}]', 2);
    await refused('[{"a":1}', 1);
    await refused('[{"a":1}] x', 1);
    await refused('[\n{"a":tru}]', 2);
  });
});

describe('readNdjson', () => {
  test('one object per line, blank lines skipped, lines counted', async () => {
    const text = '{"a":1}\r\n\n{"b":"x\\ny"}\n{"c":3}';
    const expected = [
      { line: 1, value: { a: 1 } },
      { line: 3, value: { b: 'x\ny' } },
      { line: 4, value: { c: 3 } },
    ];
    for (const size of [text.length, 1, 4]) assert.deepEqual(await read(readNdjson, text, size), expected);
  });

  test('a line that is not a JSON object is refused with its number', async () => {
    await assert.rejects(
      read(readNdjson, '{"a":1}\n[1]\n'),
      (e: unknown) => e instanceof FormatError && e.line === 2,
    );
    await assert.rejects(
      read(readNdjson, '{"a":1}\n\n{oops\n'),
      (e: unknown) => e instanceof FormatError && e.line === 3,
    );
  });
});
