import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Expr, FILTER_LIMITS, FilterSyntaxError, type Operand } from '../../src/query/ast.ts';
import { Lexer } from '../../src/query/lexer.ts';
import { parseFilter } from '../../src/query/parser.ts';

// Hostile and random input: parseFilter either returns a well-formed tree or throws a
// FilterSyntaxError naming an offset inside the text, always in (near) linear time.

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  'a',
  'title',
  '@request.auth.id',
  'x.y:lower',
  '@now',
  'true',
  'null',
  'f(',
  'geoDistance(',
  '(',
  ')',
  ',',
  "'str'",
  '"s\\"q"',
  "'",
  '"',
  '\\',
  '1',
  '-2.5',
  '-',
  '.',
  ':',
  '@',
  '_',
  '#',
  '=',
  '!=',
  '?=',
  '?!~',
  '~',
  '>',
  '<=',
  '!',
  '?',
  '&&',
  '||',
  '&',
  '|',
  '//c\n',
  '/',
  ' ',
  '\n',
  '\t',
  '\r',
  'ü',
  '😀',
  ';',
  '{:x}',
  '$',
  '\0',
];

const OPS = ['=', '!=', '>', '>=', '<', '<=', '~', '!~'];

/** Checks the shape of a parsed tree (the parser never builds anything else). */
function assertWellFormed(node: Expr | Operand, text: string): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      assertWellFormed(node.left, text);
      assertWellFormed(node.right, text);
      return;
    case 'compare':
      assert.ok(OPS.includes(node.op) && typeof node.any === 'boolean');
      assert.ok(node.pos >= 0 && node.pos < text.length);
      assertWellFormed(node.left, text);
      assertWellFormed(node.right, text);
      return;
    case 'call':
      assert.ok(node.args.length <= FILTER_LIMITS.maxArgs);
      for (const arg of node.args) assertWellFormed(arg, text);
      assert.equal(text.slice(node.pos, node.pos + node.name.length), node.name);
      return;
    case 'identifier':
      assert.equal(text.slice(node.pos, node.pos + node.name.length), node.name);
      return;
    case 'text':
      assert.ok(text[node.pos] === "'" || text[node.pos] === '"');
      return;
    case 'number':
      assert.ok(Number.isFinite(node.value));
      return;
    default:
      assert.fail(`unknown node ${JSON.stringify(node)}`);
  }
}

/** Parses `text`; returns 'ok' or 'error' and fails the test on anything but a FilterSyntaxError. */
function attempt(text: string): 'ok' | 'error' {
  try {
    assertWellFormed(parseFilter(text), text);
    return 'ok';
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    assert.ok(Number.isInteger(err.pos) && err.pos >= 0 && err.pos <= Math.max(text.length, 1), err.message);
    assert.ok(err.message.includes(` at ${err.pos}`), err.message);
    return 'error';
  }
}

/** Writes a random tree back as filter text (random spacing, comments and extra parentheses). */
function randomFilter(rand: () => number): { text: string; tree: unknown } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const gap = () => pick(['', ' ', '  ', '\n', '\t', ' // note\n']);
  const operand = (depth: number): [string, unknown] => {
    const r = rand();
    if (r < 0.35) {
      const name = pick(['a', 'title', '@request.auth.id', 'author.name:lower', '_x1', '#p', '@now', 'null']);
      return [name, { kind: 'identifier', name }];
    }
    if (r < 0.6) {
      const value = Array.from({ length: Math.floor(rand() * 6) }, () =>
        pick(['x', "'", '"', ' ', 'é', '😀', '(', '&']),
      ).join('');
      const q = pick(["'", '"']);
      return [q + value.replaceAll(q, '\\' + q) + q, { kind: 'text', value }];
    }
    if (r < 0.85 || depth >= 3) {
      const value = Math.round((rand() - 0.5) * 2000) / pick([1, 4, 100]) || 1;
      return [String(value), { kind: 'number', value }];
    }
    const args = Array.from({ length: Math.floor(rand() * 4) }, () => operand(depth + 1));
    const name = pick(['f', 'geoDistance', 'strftime']);
    const text = `${name}(${args.map(([t]) => gap() + t + gap()).join(',')})`;
    return [text, { kind: 'call', name, args: args.map(([, n]) => n) }];
  };
  const expr = (depth: number): [string, any] => {
    if (depth >= 4 || rand() < 0.4) {
      const [l, left] = operand(0);
      const [r, right] = operand(0);
      const op = pick(OPS);
      const any = rand() < 0.3;
      return [`${l}${gap()}${any ? '?' : ''}${op}${gap()}${r}`, { kind: 'compare', op, any, left, right }];
    }
    const kind = pick(['and', 'or'] as const);
    const [lt, left] = expr(depth + 1);
    const [rt, right] = expr(depth + 1);
    const wrapLeft = (kind === 'and' && left.kind === 'or') || rand() < 0.1;
    const wrapRight = right.kind === 'or' || (right.kind === 'and' && kind === 'and') || rand() < 0.1;
    const l = wrapLeft ? `(${gap()}${lt}${gap()})` : lt;
    const r = wrapRight ? `(${gap()}${rt}${gap()})` : rt;
    return [`${l}${gap()}${kind === 'and' ? '&&' : '||'}${gap()}${r}`, { kind, left, right }];
  };
  const [text, tree] = expr(0);
  return { text, tree };
}

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== 'pos')
      .map(([k, v]) => [k, strip(v)]),
  );
}

describe('parseFilter on random and hostile input', () => {
  test('random valid filters parse back to the tree they were written from', () => {
    const rand = prng(7);
    for (let i = 0; i < 500; i++) {
      const { text, tree } = randomFilter(rand);
      assert.deepEqual(strip(parseFilter(text)), tree, text);
    }
  });

  test('2,000 random token strings either parse or throw FilterSyntaxError, quickly', () => {
    const rand = prng(2024);
    const counts = { ok: 0, error: 0 };
    const started = performance.now();
    for (let i = 0; i < 2000; i++) {
      let text: string;
      if (i % 2 === 0) {
        text = Array.from(
          { length: Math.floor(rand() * 40) },
          () => ALPHABET[Math.floor(rand() * ALPHABET.length)],
        ).join('');
      } else {
        // a valid filter with a few random edits, so both outcomes are exercised
        const chars = [...randomFilter(rand).text];
        for (let e = Math.floor(rand() * 3); e > 0; e--) {
          const at = Math.floor(rand() * (chars.length + 1));
          const piece = ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
          chars.splice(at, rand() < 0.5 ? 1 : 0, ...(rand() < 0.3 ? [] : [piece]));
        }
        text = chars.join('');
      }
      counts[attempt(text)]++;
    }
    assert.ok(counts.ok > 100 && counts.error > 100, JSON.stringify(counts));
    assert.ok(performance.now() - started < 3000);
  });

  test('injection-flavoured input is a syntax error, not SQL', () => {
    const cases: [string, string][] = [
      ["'; DROP TABLE x; --", 'Unterminated string starting at 0'],
      ["title = ''; DROP TABLE x; --", 'Unexpected character ";" at 10'],
      ["title = '' OR 1=1", 'Expected "&&" or "||" before "OR" at 11'],
      ["title = 'x' -- comment", 'Invalid number "-" at 12'],
      ['title = "x" /* c */', 'Unexpected "/" at 12 (comments start with "//")'],
      ['a = 1 UNION SELECT * FROM users', 'Expected "&&" or "||" before "UNION" at 6'],
      ['a = `x`', 'Unexpected character "`" at 4'],
      ["a = \"x' && b = 'y", 'Unterminated string starting at 4'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseFilter(text), { name: 'FilterSyntaxError', message });
    }
  });

  test('limits: length, nesting, comparisons and arguments', () => {
    const { maxLength, maxDepth, maxExpressions, maxArgs } = FILTER_LIMITS;
    const tooLong = `Filter is too long (max ${maxLength} characters) at ${maxLength}`;
    const started = performance.now();
    assert.throws(() => parseFilter('a'.repeat(maxLength + 1)), { message: tooLong });
    assert.throws(() => parseFilter(`${'('.repeat(10_000)}a=1${')'.repeat(10_000)}`), { message: tooLong });
    assert.throws(() => parseFilter(`a = '${'x'.repeat(1_000_000)}'`), { message: tooLong });
    assert.equal(attempt(`a = '${'x'.repeat(maxLength - 6)}'`), 'ok');
    assert.equal(attempt(`${'('.repeat(maxDepth)}a=1${')'.repeat(maxDepth)}`), 'ok');
    assert.throws(() => parseFilter(`${'('.repeat(maxDepth + 1)}a=1${')'.repeat(maxDepth + 1)}`), {
      message: `Filter is nested too deeply (max ${maxDepth}) at ${maxDepth}`,
    });
    assert.throws(() => parseFilter(`${'('.repeat(1700)}a=1`), { message: /nested too deeply/ });
    assert.throws(() => parseFilter(`${'('.repeat(maxDepth)}f(1) = 1${')'.repeat(maxDepth)}`), {
      message: `Filter is nested too deeply (max ${maxDepth}) at ${maxDepth}`,
    });
    const comparisons = (n: number) => Array.from({ length: n }, (_, i) => `a=${i}`).join('||');
    assert.equal(attempt(comparisons(maxExpressions)), 'ok');
    const over = comparisons(maxExpressions + 1);
    const at = over.lastIndexOf('||') + 2;
    assert.throws(() => parseFilter(over), {
      message: `Too many comparisons (max ${maxExpressions}) at ${at}`,
    });
    assert.equal(attempt(`f(${Array(maxArgs).fill('x').join(',')}) = 1`), 'ok');
    assert.ok(performance.now() - started < 1000);
  });

  test('the scanner is linear on megabyte-sized pathological input', () => {
    const inputs = [
      `'${"\\'".repeat(300_000)}`,
      'a'.repeat(1_000_000),
      `//${'x'.repeat(1_000_000)}`,
      '1'.repeat(1_000_000),
      ' '.repeat(1_000_000),
      '('.repeat(1_000_000),
      "'a' ".repeat(250_000),
      '='.repeat(1_000_000),
      'a.'.repeat(500_000),
    ];
    for (const text of inputs) {
      const started = performance.now();
      const lexer = new Lexer(text);
      try {
        while (lexer.next().type !== 'eof');
      } catch (err) {
        assert.ok(err instanceof FilterSyntaxError);
      }
      assert.ok(performance.now() - started < 1500, `slow on ${JSON.stringify(text.slice(0, 10))}…`);
    }
  });
});
