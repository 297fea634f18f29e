/**
 * Parser for the filter/rule language: PocketBase's grammar (github.com/ganigeorgiev/fexpr),
 * built into the tree of ast.ts by recursive descent.
 *
 *   filter     := or
 *   or         := and ('||' and)*
 *   and        := primary ('&&' primary)*          (so `&&` binds tighter than `||`)
 *   primary    := '(' or ')' | comparison
 *   comparison := operand op operand                (op: = != > >= < <= ~ !~ and their ?-forms)
 *   operand    := identifier | text | number | name '(' [operand (',' operand)* [',']] ')'
 */
import { type CompareOp, type Expr, FILTER_LIMITS, FilterSyntaxError, type Operand } from './ast.ts';
import { Lexer, quote, type Token } from './lexer.ts';

/** fexpr's limit on nested function calls (`a(b(c(1)))` is the deepest allowed). */
const MAX_CALL_DEPTH = 3;
/** Parsed filters kept for reuse: the same rules and filters are parsed over and over. */
const CACHE_SIZE = 500;

const filterCache = new Map<string, Expr>();
/** Rules apart from filters: a client's filter text must never stand for a rule's tree. */
const ruleCache = new Map<string, Expr>();

/**
 * Parses a filter or rule into its syntax tree. Results are cached (least recently used
 * first out) and deeply frozen, so callers must not modify them.
 *
 * @throws FilterSyntaxError with a message that names the problem and its offset, e.g.
 *   `Unexpected "&&" at 12`, `Unterminated string starting at 5`.
 * @example
 * parseFilter("title ~ 'abc' && score > 5");
 * // { kind: 'and', left: { kind: 'compare', op: '~', ... }, right: { kind: 'compare', op: '>', ... } }
 */
export function parseFilter(text: string, opts: ParseOptions = {}): Expr {
  // rules and filters are cached apart: a rule may be longer than a filter
  const cache = opts.rule ? ruleCache : filterCache;
  const cached = cache.get(text);
  if (cached !== undefined) {
    cache.delete(text);
    cache.set(text, cached);
    return cached;
  }
  if (!opts.rule && text.length > FILTER_LIMITS.maxLength) {
    const max = FILTER_LIMITS.maxLength;
    throw new FilterSyntaxError(`Filter is too long (max ${max} characters) at ${max}`, max);
  }
  const expr = new Parser(text, opts.rule ? Infinity : FILTER_LIMITS.maxExpressions).parse();
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(text, expr);
  return expr;
}

/**
 * Parses one operand on its own (a sort expression such as `author.name`, `title:lower`
 * or `geoDistance(lon, lat, 10, 20)`), with the filter's limits.
 *
 * @throws FilterSyntaxError when the text is not exactly one operand.
 */
export function parseOperand(text: string): Operand {
  if (text.length > FILTER_LIMITS.maxLength) {
    const max = FILTER_LIMITS.maxLength;
    throw new FilterSyntaxError(`Expression is too long (max ${max} characters) at ${max}`, max);
  }
  return new Parser(text, FILTER_LIMITS.maxExpressions).parseOperand();
}

export interface ParseOptions {
  /**
   * A collection rule (written by a superuser): like PocketBase, no limit on its length or
   * number of comparisons. The nesting limit stays: it bounds the parser's recursion.
   */
  rule?: boolean;
}

class Parser {
  readonly #lexer: Lexer;
  readonly #text: string;
  #token: Token;
  #comparisons = 0;
  #depth = 0;
  #callDepth = 0;
  /** End of the last consumed token. */
  #prevEnd = 0;
  readonly #maxComparisons: number;

  constructor(text: string, maxComparisons: number) {
    this.#maxComparisons = maxComparisons;
    this.#text = text;
    this.#lexer = new Lexer(text);
    this.#token = this.#lexer.next();
  }

  parse(): Expr {
    if (this.#type() === 'eof') throw new FilterSyntaxError('Empty filter expression at 0', 0);
    const expr = this.#or();
    if (this.#type() !== 'eof') throw this.#expectedJoin();
    return expr;
  }

  parseOperand(): Operand {
    if (!isOperandStart(this.#token)) throw this.#unexpected(this.#token);
    const operand = this.#operand();
    if (this.#type() !== 'eof') throw this.#unexpected(this.#token);
    return operand;
  }

  /** The current token's type (a method, so TypeScript does not keep a narrowing across calls). */
  #type(): Token['type'] {
    return this.#token.type;
  }

  #advance(): Token {
    const token = this.#token;
    this.#prevEnd = token.end;
    this.#token = this.#lexer.next();
    return token;
  }

  #or(): Expr {
    let left = this.#and();
    while (this.#type() === 'or') {
      this.#advance();
      left = Object.freeze({ kind: 'or', left, right: this.#and() });
    }
    return left;
  }

  #and(): Expr {
    let left = this.#primary();
    while (this.#type() === 'and') {
      this.#advance();
      left = Object.freeze({ kind: 'and', left, right: this.#primary() });
    }
    return left;
  }

  #primary(): Expr {
    const token = this.#token;
    if (token.type !== 'open') return this.#comparison();
    this.#enter(token);
    this.#advance();
    const expr = this.#or();
    if (this.#type() === 'eof') {
      throw new FilterSyntaxError(`Unclosed "(" at ${token.pos}`, token.pos);
    }
    if (this.#type() !== 'close') throw this.#expectedJoin();
    this.#advance();
    this.#depth--;
    return expr;
  }

  #comparison(): Expr {
    const start = this.#token;
    if (!isOperandStart(start)) throw this.#unexpected(this.#token);
    if (++this.#comparisons > this.#maxComparisons) {
      const max = this.#maxComparisons;
      throw new FilterSyntaxError(`Too many comparisons (max ${max}) at ${start.pos}`, start.pos);
    }
    const left = this.#operand();
    const opToken = this.#token;
    if (opToken.type !== 'op') {
      const after = quote(this.#text.slice(start.pos, this.#prevEnd));
      throw new FilterSyntaxError(`Expected an operator after ${after} at ${opToken.pos}`, opToken.pos);
    }
    this.#advance();
    if (!isOperandStart(this.#token)) {
      const at = this.#token.pos;
      throw new FilterSyntaxError(`Expected a value after ${quote(opToken.value)} at ${at}`, at);
    }
    const right = this.#operand();
    const any = opToken.value.startsWith('?');
    const op = (any ? opToken.value.slice(1) : opToken.value) as CompareOp;
    return Object.freeze({ kind: 'compare', op, any, left, right, pos: opToken.pos });
  }

  /** Reads one operand; the current token must satisfy isOperandStart. */
  #operand(): Operand {
    const token = this.#advance();
    const pos = token.pos;
    switch (token.type) {
      case 'identifier':
        return Object.freeze({ kind: 'identifier', name: token.value, pos });
      case 'text':
        return Object.freeze({ kind: 'text', value: token.value, pos });
      case 'number':
        return Object.freeze({ kind: 'number', value: Number(token.value), pos });
      default:
        return this.#call(token);
    }
  }

  /** Arguments of a call whose `name(` is `token`; a single trailing comma is allowed (as fexpr). */
  #call(token: Token): Operand {
    if (++this.#callDepth > MAX_CALL_DEPTH) {
      const message = `Too many nested function calls (max ${MAX_CALL_DEPTH}) at ${token.pos}`;
      throw new FilterSyntaxError(message, token.pos);
    }
    this.#enter(token);
    const args: Operand[] = [];
    while (this.#type() !== 'close') {
      const arg = this.#token;
      if (arg.type === 'eof') {
        throw new FilterSyntaxError(`Unclosed ${quote(token.value + '(')} at ${token.pos}`, token.pos);
      }
      if (!isOperandStart(arg)) throw this.#unexpected(arg);
      if (args.length >= FILTER_LIMITS.maxArgs) {
        const message = `Too many arguments for ${quote(token.value)} (max ${FILTER_LIMITS.maxArgs}) at ${arg.pos}`;
        throw new FilterSyntaxError(message, arg.pos);
      }
      args.push(this.#operand());
      const next = this.#token;
      if (next.type === 'comma') this.#advance();
      else if (next.type !== 'close' && next.type !== 'eof') {
        const message = `Expected "," or ")" after an argument of ${quote(token.value)} at ${next.pos}`;
        throw new FilterSyntaxError(message, next.pos);
      }
    }
    this.#advance();
    this.#depth--;
    this.#callDepth--;
    return Object.freeze({
      kind: 'call',
      name: token.value,
      args: Object.freeze(args) as Operand[],
      pos: token.pos,
    });
  }

  /** Counts one level of parentheses or call nesting against FILTER_LIMITS.maxDepth. */
  #enter(token: Token): void {
    if (++this.#depth > FILTER_LIMITS.maxDepth) {
      const message = `Filter is nested too deeply (max ${FILTER_LIMITS.maxDepth}) at ${token.pos}`;
      throw new FilterSyntaxError(message, token.pos);
    }
  }

  #unexpected(token: Token): FilterSyntaxError {
    if (token.type === 'eof')
      return new FilterSyntaxError(`Unexpected end of filter at ${token.pos}`, token.pos);
    const literal = quote(this.#text.slice(token.pos, token.end));
    return new FilterSyntaxError(`Unexpected ${literal} at ${token.pos}`, token.pos);
  }

  /** After a complete comparison or group, only `&&`, `||`, a closing `)` or the end may follow. */
  #expectedJoin(): FilterSyntaxError {
    const token = this.#token;
    if (token.type === 'close' || token.type === 'comma') return this.#unexpected(token);
    const literal = quote(this.#text.slice(token.pos, token.end));
    return new FilterSyntaxError(`Expected "&&" or "||" before ${literal} at ${token.pos}`, token.pos);
  }
}

function isOperandStart(token: Token): boolean {
  const t = token.type;
  return t === 'identifier' || t === 'text' || t === 'number' || t === 'call';
}
