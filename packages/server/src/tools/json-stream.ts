import { FormatError } from './format-error.ts';

/** One JSON object of a stream and the line it starts on. */
export interface JsonRow {
  line: number;
  value: Record<string, unknown>;
}

/** The largest single object read before the file counts as malformed. */
const MAX_OBJECT_CHARS = 16 * 1024 * 1024;

function parseObject(text: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FormatError(line, `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new FormatError(line, 'expected a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Reads newline-delimited JSON (NDJSON, JSON Lines): one object per line, blank lines
 * skipped. Memory is bounded by the longest line.
 */
export async function* readNdjson(chunks: AsyncIterable<string>): AsyncGenerator<JsonRow> {
  let rest = '';
  let line = 0;
  for await (const chunk of chunks) {
    rest += chunk;
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n', start)) {
      line++;
      const text = rest.slice(start, nl).trim();
      start = nl + 1;
      if (text) yield { line, value: parseObject(text, line) };
    }
    rest = rest.slice(start);
    if (rest.length > MAX_OBJECT_CHARS)
      throw new FormatError(line + 1, 'a line is longer than 16 Mi characters');
  }
  line++;
  const text = rest.trim();
  if (text) yield { line, value: parseObject(text.replace(/^\uFEFF/, ''), line) };
}

const WS = new Set([' ', '\t', '\n', '\r', '\uFEFF']);

/**
 * Reads a JSON array of objects (`[{…}, {…}]`) element by element, so a file of a
 * million records never sits in memory whole: each object is cut out by scanning its
 * braces and strings, then parsed alone. Linear in the input.
 */
export async function* readJsonArray(chunks: AsyncIterable<string>): AsyncGenerator<JsonRow> {
  type State = 'start' | 'element' | 'object' | 'after' | 'end';
  let state: State = 'start';
  let line = 1;
  let objectLine = 1;
  let parts: string[] = [];
  let size = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let count = 0;

  for await (const chunk of chunks) {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'object') {
        // scan to the end of the object (or of the chunk)
        const from = i;
        for (; i < chunk.length; i++) {
          const c = chunk.charCodeAt(i);
          if (c === 10) line++;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 92) escaped = true;
            else if (c === 34) inString = false;
          } else if (c === 34) inString = true;
          else if (c === 123 || c === 91) depth++;
          else if ((c === 125 || c === 93) && --depth === 0) {
            i++;
            break;
          }
        }
        parts.push(chunk.slice(from, i));
        size += i - from;
        if (size > MAX_OBJECT_CHARS)
          throw new FormatError(objectLine, 'an object is longer than 16 Mi characters');
        if (depth === 0) {
          const text = parts.join('');
          parts = [];
          size = 0;
          count++;
          state = 'after';
          yield { line: objectLine, value: parseObject(text, objectLine) };
        }
        continue;
      }
      const c = chunk[i] as string;
      if (c === '\n') line++;
      if (WS.has(c)) {
        i++;
        continue;
      }
      if (state === 'start' && c === '[') state = 'element';
      else if (state === 'element' && c === '{') {
        state = 'object';
        objectLine = line;
        depth = 0;
        continue; // the scan above counts this brace
      } else if (state === 'element' && c === ']' && count === 0) state = 'end';
      else if (state === 'after' && c === ',') state = 'element';
      else if (state === 'after' && c === ']') state = 'end';
      else
        throw new FormatError(
          line,
          state === 'start'
            ? 'expected a JSON array of objects'
            : state === 'end'
              ? 'unexpected text after the array'
              : `unexpected ${JSON.stringify(c)}: each element must be an object`,
        );
      i++;
    }
  }
  if (state !== 'end')
    throw new FormatError(
      line,
      state === 'start' ? 'expected a JSON array of objects' : 'the array is not closed',
    );
}
