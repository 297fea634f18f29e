import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FilterSyntaxError } from '../../src/query/ast.ts';
import { parseFilter } from '../../src/query/parser.ts';

// The filter grammar of PocketBase (github.com/ganigeorgiev/fexpr scanner.go/parser.go), as a
// table of input → tree (positions left out, see `strip`) or input → error message and offset.

type Node = Record<string, unknown>;
type Arg = Node | string | number;

const operand = (x: Arg): Node =>
  typeof x === 'string' ? { kind: 'identifier', name: x } : typeof x === 'number' ? num(x) : x;
const txt = (value: string): Node => ({ kind: 'text', value });
const num = (value: number): Node => ({ kind: 'number', value });
const fn = (name: string, ...args: Arg[]): Node => ({ kind: 'call', name, args: args.map(operand) });
const cmp = (left: Arg, op: string, right: Arg): Node => ({
  kind: 'compare',
  op: op.replace('?', ''),
  any: op.startsWith('?'),
  left: operand(left),
  right: operand(right),
});
const and = (left: Node, right: Node): Node => ({ kind: 'and', left, right });
const or = (left: Node, right: Node): Node => ({ kind: 'or', left, right });

/** The tree without its `pos` fields, as plain objects. */
function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== 'pos')
      .map(([k, v]) => [k, strip(v)]),
  );
}

const VALID: [string, Node][] = [
  // every operator and its any-of form
  ['a = 1', cmp('a', '=', 1)],
  ['a != 1', cmp('a', '!=', 1)],
  ['a > 1', cmp('a', '>', 1)],
  ['a >= 1', cmp('a', '>=', 1)],
  ['a < 1', cmp('a', '<', 1)],
  ['a <= 1', cmp('a', '<=', 1)],
  ["a ~ 'x'", cmp('a', '~', txt('x'))],
  ["a !~ 'x'", cmp('a', '!~', txt('x'))],
  ['a ?= 1', cmp('a', '?=', 1)],
  ['a ?!= 1', cmp('a', '?!=', 1)],
  ['a ?> 1', cmp('a', '?>', 1)],
  ['a ?>= 1', cmp('a', '?>=', 1)],
  ['a ?< 1', cmp('a', '?<', 1)],
  ['a ?<= 1', cmp('a', '?<=', 1)],
  ["a ?~ 'x'", cmp('a', '?~', txt('x'))],
  ["a ?!~ 'x'", cmp('a', '?!~', txt('x'))],
  // precedence, associativity and grouping
  ['a=1 || b=2 && c=3', or(cmp('a', '=', 1), and(cmp('b', '=', 2), cmp('c', '=', 3)))],
  ['a=1 && b=2 || c=3', or(and(cmp('a', '=', 1), cmp('b', '=', 2)), cmp('c', '=', 3))],
  ['a=1 && b=2 && c=3', and(and(cmp('a', '=', 1), cmp('b', '=', 2)), cmp('c', '=', 3))],
  ['a=1 || b=2 || c=3', or(or(cmp('a', '=', 1), cmp('b', '=', 2)), cmp('c', '=', 3))],
  ['(a=1 || b=2) && c=3', and(or(cmp('a', '=', 1), cmp('b', '=', 2)), cmp('c', '=', 3))],
  ['a=1 && (b=2 || c=3)', and(cmp('a', '=', 1), or(cmp('b', '=', 2), cmp('c', '=', 3)))],
  ['((a=1))', cmp('a', '=', 1)],
  ['(((a=1) && (b=2)))', and(cmp('a', '=', 1), cmp('b', '=', 2))],
  ['( a = 1 )', cmp('a', '=', 1)],
  ['a=1&&b=2', and(cmp('a', '=', 1), cmp('b', '=', 2))],
  ['a=1||(b=2)', or(cmp('a', '=', 1), cmp('b', '=', 2))],
  ['\ta\n=\n1\t', cmp('a', '=', 1)],
  // operands on either side, keywords stay identifiers
  ["'abc' = title", cmp(txt('abc'), '=', 'title')],
  ['1 = 1', cmp(1, '=', 1)],
  ['a = b', cmp('a', '=', 'b')],
  ['true = false', cmp('true', '=', 'false')],
  ['null != a', cmp('null', '!=', 'a')],
  // identifiers with paths, modifiers and macros
  ["@request.auth.id != ''", cmp('@request.auth.id', '!=', txt(''))],
  ["@collection.users:u.email = 'x'", cmp('@collection.users:u.email', '=', txt('x'))],
  ['title:lower = "bob"', cmp('title:lower', '=', txt('bob'))],
  ['data.a.b = 1', cmp('data.a.b', '=', 1)],
  ["comments_via_post.message ?~ 'hi'", cmp('comments_via_post.message', '?~', txt('hi'))],
  ['created > @now', cmp('created', '>', '@now')],
  ["@request.body.tags:each ?= 'x'", cmp('@request.body.tags:each', '?=', txt('x'))],
  ['a.b.c:length > 2', cmp('a.b.c:length', '>', 2)],
  ['#tag = 1', cmp('#tag', '=', 1)],
  ['_a = 1', cmp('_a', '=', 1)],
  ['a1.2:b = 1', cmp('a1.2:b', '=', 1)],
  // strings and escapes
  ["a = ''", cmp('a', '=', txt(''))],
  ['a = ""', cmp('a', '=', txt(''))],
  ["a = 'it\\'s'", cmp('a', '=', txt("it's"))],
  ['a = "say \\"hi\\""', cmp('a', '=', txt('say "hi"'))],
  ["a = 'a\"b'", cmp('a', '=', txt('a"b'))],
  ['a = "a\'b"', cmp('a', '=', txt("a'b"))],
  ["a = 'back\\slash'", cmp('a', '=', txt('back\\slash'))],
  ["a = '\\\"'", cmp('a', '=', txt('\\"'))],
  ["a = 'a\\\\'b'", cmp('a', '=', txt("a\\'b"))],
  ["a = 'ünï ☃ 😀 АБЦ'", cmp('a', '=', txt('ünï ☃ 😀 АБЦ'))],
  ["a = 'x && y || (z)'", cmp('a', '=', txt('x && y || (z)'))],
  ["a = '// not a comment'", cmp('a', '=', txt('// not a comment'))],
  ["a = 'line1\nline2'", cmp('a', '=', txt('line1\nline2'))],
  ['a = \'x" && b = "y\'', cmp('a', '=', txt('x" && b = "y'))],
  ["a = 'nul\0'", cmp('a', '=', txt('nul\0'))],
  // numbers
  ['a = 0', cmp('a', '=', 0)],
  ['a = -5', cmp('a', '=', -5)],
  ['a = 1.5', cmp('a', '=', 1.5)],
  ['a = -1.25', cmp('a', '=', -1.25)],
  ['a = 007', cmp('a', '=', 7)],
  ['a = -.5', cmp('a', '=', -0.5)],
  ['a>-1', cmp('a', '>', -1)],
  ['a = 12345678901234567890', cmp('a', '=', 12345678901234567000)],
  // comments
  ['a = 1 // trailing', cmp('a', '=', 1)],
  ['// leading\na = 1', cmp('a', '=', 1)],
  ['a = 1 // c\n && b = 2', and(cmp('a', '=', 1), cmp('b', '=', 2))],
  ['a // c\n = 1', cmp('a', '=', 1)],
  ['a=1//c', cmp('a', '=', 1)],
  ['///x\na=1', cmp('a', '=', 1)],
  // functions
  ['geoDistance(lon, lat, 1.5, -2) < 25', cmp(fn('geoDistance', 'lon', 'lat', 1.5, -2), '<', 25)],
  ["strftime('%Y', created) = '2024'", cmp(fn('strftime', txt('%Y'), 'created'), '=', txt('2024'))],
  ['f() = 1', cmp(fn('f'), '=', 1)],
  ['f( a , b ) = 1', cmp(fn('f', 'a', 'b'), '=', 1)],
  ['f(a,) = 1', cmp(fn('f', 'a'), '=', 1)],
  ['f(g(h(1))) = 1', cmp(fn('f', fn('g', fn('h', 1))), '=', 1)],
  ['1 < f(x)', cmp(1, '<', fn('f', 'x'))],
  ['@ns:fn(a) = 1', cmp(fn('@ns:fn', 'a'), '=', 1)],
  ['f(a, // c\n b) = 1', cmp(fn('f', 'a', 'b'), '=', 1)],
  ['f(\'a,b\', "c)d") = 1', cmp(fn('f', txt('a,b'), txt('c)d')), '=', 1)],
  ['f(a) = g(b)', cmp(fn('f', 'a'), '=', fn('g', 'b'))],
  ['f(true, null) = 1', cmp(fn('f', 'true', 'null'), '=', 1)],
  [
    "title ~ 'abc' && (score > 5 || author.name:lower = \"bob\") && tags ?= 'x'",
    and(
      and(cmp('title', '~', txt('abc')), or(cmp('score', '>', 5), cmp('author.name:lower', '=', txt('bob')))),
      cmp('tags', '?=', txt('x')),
    ),
  ],
];

const ARGS_11 = `f(${Array.from({ length: 11 }, (_, i) => i).join(',')}) = 1`;

const INVALID: [string, string, number][] = [
  ['', 'Empty filter expression at 0', 0],
  ['   ', 'Empty filter expression at 0', 0],
  ['// only a comment', 'Empty filter expression at 0', 0],
  ['title', 'Expected an operator after "title" at 5', 5],
  ['title &&', 'Expected an operator after "title" at 6', 6],
  ['f(a) b', 'Expected an operator after "f(a)" at 5', 5],
  ['title =', 'Expected a value after "=" at 7', 7],
  ['title = && b = 1', 'Expected a value after "=" at 8', 8],
  ['= 1', 'Unexpected "=" at 0', 0],
  ['?= 1', 'Unexpected "?=" at 0', 0],
  ['&& a=1', 'Unexpected "&&" at 0', 0],
  ['a=1 &&', 'Unexpected end of filter at 6', 6],
  ['a=1 && && b=2', 'Unexpected "&&" at 7', 7],
  ['a=1 b=2', 'Expected "&&" or "||" before "b" at 4', 4],
  ["a = 'x' 'y'", 'Expected "&&" or "||" before "\'y\'" at 8', 8],
  ['a = b = c', 'Expected "&&" or "||" before "=" at 6', 6],
  ['a = 1e5', 'Expected "&&" or "||" before "e5" at 5', 5],
  ['a = 1, b = 2', 'Unexpected "," at 5', 5],
  ["a = 'x", 'Unterminated string starting at 4', 4],
  ['a = "x\'', 'Unterminated string starting at 4', 4],
  ["a = 'x\\'", 'Unterminated string starting at 4', 4],
  ["'; DROP TABLE x; --", 'Unterminated string starting at 0', 0],
  ['a == 1', 'Invalid operator "==" at 2', 2],
  ['a =! 1', 'Invalid operator "=!" at 2', 2],
  ['a ! 1', 'Invalid operator "!" at 2', 2],
  ['a ? 1', 'Invalid operator "?" at 2', 2],
  ['a = 1 & b = 2', 'Invalid operator "&" at 6 (expected "&&" or "||")', 6],
  ['a=1 &&& b=2', 'Invalid operator "&&&" at 4 (expected "&&" or "||")', 4],
  ['a=1 | b=2', 'Invalid operator "|" at 4 (expected "&&" or "||")', 4],
  ['a=1 &| b=2', 'Invalid operator "&|" at 4 (expected "&&" or "||")', 4],
  ['(a=1', 'Unclosed "(" at 0', 0],
  ['a=1 && ((b=2) || c=3', 'Unclosed "(" at 7', 7],
  ['a=1)', 'Unexpected ")" at 3', 3],
  ['()', 'Unexpected ")" at 1', 1],
  ['(a=1))', 'Unexpected ")" at 5', 5],
  ['a=1 (b=2)', 'Expected "&&" or "||" before "(" at 4', 4],
  ['a (b=1)', 'Expected an operator after "a" at 2', 2],
  ['a = (b)', 'Expected a value after "=" at 4', 4],
  ['a. = 1', 'Invalid identifier "a." at 0', 0],
  ['a: = 1', 'Invalid identifier "a:" at 0', 0],
  ['@ = 1', 'Invalid identifier "@" at 0', 0],
  ['_ = 1', 'Invalid identifier "_" at 0', 0],
  ['.a = 1', 'Unexpected character "." at 0', 0],
  ['a = 1.', 'Invalid number "1." at 4', 4],
  ['a = -', 'Invalid number "-" at 4', 4],
  ['a = - 1', 'Invalid number "-" at 4', 4],
  ['a = 1.2.3', 'Unexpected character "." at 7', 7],
  ['a-b = 1', 'Invalid number "-" at 1', 1],
  [`a = 1${'0'.repeat(400)}`, 'Number "1000000000000000000000000000000000000..." is out of range at 4', 4],
  ['a = 1 / 2', 'Unexpected "/" at 6 (comments start with "//")', 6],
  ['a = $x', 'Unexpected character "$" at 4', 4],
  ['a = {:x}', 'Unexpected character "{" at 4', 4],
  ['tïtle = 1', 'Unexpected character "ï" at 1', 1],
  ['a = 😀', 'Unexpected character "😀" at 4', 4],
  ["title = ''; DROP TABLE x; --", 'Unexpected character ";" at 10', 10],
  ['a\r\n= 1', 'Unexpected character "\\r" at 1', 1],
  ['a\0= 1', 'Unexpected character "\\u0000" at 1', 1],
  ['f(a = 1', 'Expected "," or ")" after an argument of "f" at 4', 4],
  ['f(a b) = 1', 'Expected "," or ")" after an argument of "f" at 4', 4],
  ['f(,a) = 1', 'Unexpected "," at 2', 2],
  ['f(a,,b) = 1', 'Unexpected "," at 4', 4],
  ['f((a)) = 1', 'Unexpected "(" at 2', 2],
  ['f(a', 'Unclosed "f(" at 0', 0],
  ['f(a // c) = 1', 'Unclosed "f(" at 0', 0],
  ['f (a) = 1', 'Expected an operator after "f" at 2', 2],
  ['f(g(h(i(1)))) = 1', 'Too many nested function calls (max 3) at 6', 6],
  ['@(a) = 1', 'Invalid function name "@" at 0', 0],
  ['a.(1) = 1', 'Invalid function name "a." at 0', 0],
  [ARGS_11, 'Too many arguments for "f" (max 10) at 22', 22],
];

describe('parseFilter', () => {
  for (const [input, expected] of VALID) {
    test(`parses ${JSON.stringify(input)}`, () => {
      assert.deepEqual(strip(parseFilter(input)), expected);
    });
  }

  for (const [input, message, pos] of INVALID) {
    test(`rejects ${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)}`, () => {
      assert.throws(
        () => parseFilter(input),
        (err: unknown) => {
          assert.ok(err instanceof FilterSyntaxError, `not a FilterSyntaxError: ${err}`);
          assert.equal(err.message, message);
          assert.equal(err.pos, pos);
          return true;
        },
      );
    });
  }

  test('records the offset of every operand and of the comparison operator', () => {
    assert.deepEqual(parseFilter("title ~ 'abc' || f(x, 2) >= -1"), {
      kind: 'or',
      left: {
        kind: 'compare',
        op: '~',
        any: false,
        left: { kind: 'identifier', name: 'title', pos: 0 },
        right: { kind: 'text', value: 'abc', pos: 8 },
        pos: 6,
      },
      right: {
        kind: 'compare',
        op: '>=',
        any: false,
        left: {
          kind: 'call',
          name: 'f',
          args: [
            { kind: 'identifier', name: 'x', pos: 19 },
            { kind: 'number', value: 2, pos: 22 },
          ],
          pos: 17,
        },
        right: { kind: 'number', value: -1, pos: 28 },
        pos: 25,
      },
    });
  });

  test('offsets count UTF-16 code units, so they index the JavaScript string', () => {
    const text = "a = '😀' && b = 1";
    const tree = parseFilter(text) as { right: { left: { pos: number } } };
    assert.equal(text[tree.right.left.pos], 'b');
  });

  test('returns the cached, frozen tree for a repeated filter', () => {
    const text = "cached = 'yes' && f(a) = 1";
    const first = parseFilter(text);
    assert.equal(parseFilter(text), first);
    assert.ok(Object.isFrozen(first));
    const call = (first as { right: { left: { args: unknown[] } } }).right.left;
    assert.ok(Object.isFrozen(call) && Object.isFrozen(call.args));
    assert.throws(() => {
      (first as { kind: string }).kind = 'or';
    }, TypeError);
  });

  test('the cache is bounded: the least recently used filter is parsed again', () => {
    const oldest = 'evicted = 1';
    const kept = 'kept = 1';
    const a = parseFilter(oldest);
    const b = parseFilter(kept);
    for (let i = 0; i < 500; i++) {
      parseFilter(`filler${i} = ${i}`);
      if (i === 250) assert.equal(parseFilter(kept), b); // a hit refreshes it
    }
    assert.notEqual(parseFilter(oldest), a);
    assert.deepEqual(parseFilter(oldest), a);
    assert.equal(parseFilter(kept), b);
  });
});
