/**
 * Scanner for the filter language, after PocketBase's fexpr (github.com/ganigeorgiev/fexpr,
 * scanner.go): a hand-written, single-pass, linear-time scanner (no regular expressions), so
 * hostile input cannot cause backtracking. Whitespace (space, tab, newline) and `//` line
 * comments are skipped between tokens.
 */
import { FilterSyntaxError, type Pos } from './ast.ts';

export type TokenType =
  | 'identifier'
  /** An identifier immediately followed by `(`: a function call; the `(` is consumed. */
  | 'call'
  | 'text'
  | 'number'
  /** A comparison operator, `?`-forms included (`value` is the operator as written). */
  | 'op'
  | 'and'
  | 'or'
  | 'open'
  | 'close'
  | 'comma'
  | 'eof';

/** One scanned token: `value` is the unescaped text, the number/operator literal or the name. */
export interface Token {
  type: TokenType;
  value: string;
  /** Offset of the first character and of the character after the last one. */
  pos: Pos;
  end: Pos;
}

const OPERATORS = new Set(['=', '!=', '>', '>=', '<', '<=', '~', '!~']);
const ANY_OPERATORS = new Set([...OPERATORS].map((op) => '?' + op));

const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string) => c >= '0' && c <= '9';
const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\n';
const isSpecialStart = (c: string) => c === '@' || c === '_' || c === '#';
const isIdentStart = (c: string) => isLetter(c) || isSpecialStart(c);
const isIdentPart = (c: string) => isLetter(c) || isDigit(c) || c === '_' || c === '.' || c === ':';
const isSignChar = (c: string) => c === '=' || c === '?' || c === '!' || c === '>' || c === '<' || c === '~';
const isJoinChar = (c: string) => c === '&' || c === '|';

/** fexpr's rule: an identifier does not end in `.`/`:` and is not a lone `@`, `_` or `#`. */
function isValidIdentifier(name: string): boolean {
  const last = name[name.length - 1]!;
  return last !== '.' && last !== ':' && !(name.length === 1 && isSpecialStart(name));
}

/** Shows a piece of the filter in an error message, shortened when long. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 37) + '...' : text);
}

/**
 * Pulls tokens from filter text one at a time, so errors come out in text order.
 *
 * @example
 * const lexer = new Lexer("title ~ 'abc'");
 * lexer.next(); // { type: 'identifier', value: 'title', pos: 0, end: 5 }
 */
export class Lexer {
  readonly text: string;
  #i = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** The next token; `eof` (at the end of the text) once the text is exhausted. Throws FilterSyntaxError. */
  next(): Token {
    this.#skipSpaceAndComments();
    const text = this.text;
    const start = this.#i;
    if (start >= text.length) return { type: 'eof', value: '', pos: start, end: start };
    const c = text[start]!;
    if (c === '(') return this.#single('open');
    if (c === ')') return this.#single('close');
    if (c === ',') return this.#single('comma');
    if (isIdentStart(c)) return this.#identifier();
    if (c === '-' || isDigit(c)) return this.#number();
    if (c === "'" || c === '"') return this.#text();
    if (isSignChar(c)) return this.#operator();
    if (isJoinChar(c)) return this.#join();
    const char = String.fromCodePoint(text.codePointAt(start)!);
    throw new FilterSyntaxError(`Unexpected character ${quote(char)} at ${start}`, start);
  }

  #skipSpaceAndComments(): void {
    const text = this.text;
    while (this.#i < text.length) {
      const c = text[this.#i]!;
      if (isWhitespace(c)) {
        this.#i++;
      } else if (c === '/') {
        if (text[this.#i + 1] !== '/') {
          throw new FilterSyntaxError(`Unexpected "/" at ${this.#i} (comments start with "//")`, this.#i);
        }
        const newline = text.indexOf('\n', this.#i + 2);
        this.#i = newline === -1 ? text.length : newline + 1;
      } else {
        return;
      }
    }
  }

  #single(type: TokenType): Token {
    const pos = this.#i++;
    return { type, value: this.text[pos]!, pos, end: this.#i };
  }

  #identifier(): Token {
    const text = this.text;
    const pos = this.#i++;
    while (this.#i < text.length && isIdentPart(text[this.#i]!)) this.#i++;
    const name = text.slice(pos, this.#i);
    if (text[this.#i] === '(') {
      if (!isValidIdentifier(name)) {
        throw new FilterSyntaxError(`Invalid function name ${quote(name)} at ${pos}`, pos);
      }
      this.#i++;
      return { type: 'call', value: name, pos, end: this.#i };
    }
    if (!isValidIdentifier(name)) {
      throw new FilterSyntaxError(`Invalid identifier ${quote(name)} at ${pos}`, pos);
    }
    return { type: 'identifier', value: name, pos, end: this.#i };
  }

  /** Digits with at most one `.`, optionally after a leading `-`; no exponent (as fexpr). */
  #number(): Token {
    const text = this.text;
    const pos = this.#i++;
    let hadDot = false;
    for (; this.#i < text.length; this.#i++) {
      const c = text[this.#i]!;
      if (c === '.' && !hadDot) hadDot = true;
      else if (!isDigit(c)) break;
    }
    const literal = text.slice(pos, this.#i);
    if (literal === '-' || literal.endsWith('.')) {
      throw new FilterSyntaxError(`Invalid number ${quote(literal)} at ${pos}`, pos);
    }
    if (!Number.isFinite(Number(literal))) {
      throw new FilterSyntaxError(`Number ${quote(literal)} is out of range at ${pos}`, pos);
    }
    return { type: 'number', value: literal, pos, end: this.#i };
  }

  /**
   * A quoted string: it ends at the first matching quote not preceded by a backslash, and only
   * `\'` (in '…') or `\"` (in "…") is unescaped; other backslashes stay as written (as fexpr).
   */
  #text(): Token {
    const text = this.text;
    const pos = this.#i;
    const q = text[pos]!;
    let close = text.indexOf(q, pos + 1);
    while (close !== -1 && text[close - 1] === '\\' && close - 1 > pos) {
      close = text.indexOf(q, close + 1);
    }
    if (close === -1) {
      throw new FilterSyntaxError(`Unterminated string starting at ${pos}`, pos);
    }
    this.#i = close + 1;
    const value = text.slice(pos + 1, close).replaceAll('\\' + q, q);
    return { type: 'text', value, pos, end: this.#i };
  }

  #operator(): Token {
    const text = this.text;
    const pos = this.#i;
    while (this.#i < text.length && isSignChar(text[this.#i]!)) this.#i++;
    const op = text.slice(pos, this.#i);
    if (!OPERATORS.has(op) && !ANY_OPERATORS.has(op)) {
      throw new FilterSyntaxError(`Invalid operator ${quote(op)} at ${pos}`, pos);
    }
    return { type: 'op', value: op, pos, end: this.#i };
  }

  #join(): Token {
    const text = this.text;
    const pos = this.#i;
    while (this.#i < text.length && isJoinChar(text[this.#i]!)) this.#i++;
    const op = text.slice(pos, this.#i);
    if (op !== '&&' && op !== '||') {
      throw new FilterSyntaxError(`Invalid operator ${quote(op)} at ${pos} (expected "&&" or "||")`, pos);
    }
    return { type: op === '&&' ? 'and' : 'or', value: op, pos, end: this.#i };
  }
}
