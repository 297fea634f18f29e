/**
 * The filter/rule language's syntax tree (PocketBase's grammar, after fexpr). The parser
 * builds it from text; the compiler turns it into parameterised SQL. Identifiers stay as
 * written (`author.name:lower`, `@request.auth.id`, `@now`, `true`): what they mean
 * depends on the collection, so the compiler's resolver interprets them.
 */

/** Offset of a token in the filter text (0-based, in UTF-16 code units), for errors. */
export type Pos = number;

/** Comparison operators; each has an any-of form written with a leading `?` (`?=`). */
export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~';

export interface Comparison {
  kind: 'compare';
  op: CompareOp;
  /** True for the `?`-forms: at least one value of a multi-valued operand must match. */
  any: boolean;
  left: Operand;
  right: Operand;
  pos: Pos;
}

/** `&&` binds tighter than `||`; parentheses group. */
export interface Logical {
  kind: 'and' | 'or';
  left: Expr;
  right: Expr;
}

export type Expr = Comparison | Logical;

export type Operand =
  /** A field path, request value, macro or keyword, exactly as written. */
  | { kind: 'identifier'; name: string; pos: Pos }
  /** A quoted string, unescaped. */
  | { kind: 'text'; value: string; pos: Pos }
  | { kind: 'number'; value: number; pos: Pos }
  /** A function call such as `geoDistance(lon, lat, 1, 2)` or `strftime('%Y', created)`. */
  | { kind: 'call'; name: string; args: Operand[]; pos: Pos };

/** A filter that cannot be parsed: a 400 for the client, with where it went wrong. */
export class FilterSyntaxError extends Error {
  readonly pos: Pos;
  constructor(message: string, pos: Pos) {
    super(message);
    this.name = 'FilterSyntaxError';
    this.pos = pos;
  }
}

/** Limits that keep a filter's cost bounded. */
export const FILTER_LIMITS = {
  /** Characters of filter text. */
  maxLength: 3500,
  /** Comparisons in one filter (PocketBase's default). */
  maxExpressions: 200,
  /** Nesting of parentheses and function calls. */
  maxDepth: 32,
  /** Arguments of one function call. */
  maxArgs: 10,
} as const;
