import { errors } from '../../errors/codes.ts';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from '../../records/list.ts';

/** A live list query: PocketBase's list parameters over one collection. */
export interface ListSpec {
  kind: 'list';
  collection: string;
  filter?: string;
  sort?: string;
  expand?: string;
  fields?: string;
  page: number;
  perPage: number;
  skipTotal: boolean;
}

/** A live query function: `module/export` of the project's functions, with its args. */
export interface FunctionSpec {
  kind: 'function';
  fn: string;
  args: unknown;
}

/** What a `live` frame subscribes to. */
export type LiveSpec = ListSpec | FunctionSpec;

/** The longest filter, sort, expand or fields text (as the records API allows). */
const MAX_TEXT = { filter: 3500, sort: 2000, expand: 2000, fields: 2000 } as const;
/** The largest JSON of a function's args. */
const MAX_ARGS_JSON = 16 * 1024;

function text(q: Record<string, unknown>, name: keyof typeof MAX_TEXT): string | undefined {
  const v = q[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw errors.badRequest(`\`query.${name}\` must be a string.`);
  if (v.length > MAX_TEXT[name])
    throw errors.badRequest(`\`query.${name}\` is too long (at most ${MAX_TEXT[name]} characters).`);
  return v;
}

function positive(q: Record<string, unknown>, name: 'page' | 'perPage', fallback: number): number {
  const v = q[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw errors.badRequest(`\`query.${name}\` must be a positive integer.`);
  return v;
}

/**
 * Reads what a `live` frame asks for: `query` (a list: `collection`, `filter`, `sort`,
 * `expand`, `fields`, `page`, `perPage`, `skipTotal`) or `function` (`module/export`)
 * with `args`. Bad input is a 400 naming the part.
 *
 * @example parseLiveSpec({ query: { collection: 'todos', filter: "done = false", perPage: 50 } })
 */
export function parseLiveSpec(frame: { query?: unknown; function?: unknown; args?: unknown }): LiveSpec {
  if (frame.function !== undefined) {
    if (frame.query !== undefined) throw errors.badRequest('Send either `query` or `function`, not both.');
    const fn = frame.function;
    if (typeof fn !== 'string' || !/^[\w./-]+\/\w+$/.test(fn) || fn.length > 300)
      throw errors.badRequest('`function` must name a query function as `module/export`.');
    const args = frame.args ?? {};
    if (JSON.stringify(args).length > MAX_ARGS_JSON)
      throw errors.badRequest(`\`args\` is too large (at most ${MAX_ARGS_JSON} bytes of JSON).`);
    return { kind: 'function', fn, args };
  }
  const q = frame.query;
  if (!q || typeof q !== 'object' || Array.isArray(q))
    throw errors.badRequest('A live frame needs a `query` object or a `function`.');
  const query = q as Record<string, unknown>;
  if (typeof query.collection !== 'string' || !query.collection)
    throw errors.badRequest('`query.collection` is required.');
  if (query.skipTotal !== undefined && typeof query.skipTotal !== 'boolean')
    throw errors.badRequest('`query.skipTotal` must be a boolean.');
  const spec: ListSpec = {
    kind: 'list',
    collection: query.collection,
    page: positive(query, 'page', 1),
    perPage: Math.min(positive(query, 'perPage', DEFAULT_PER_PAGE), MAX_PER_PAGE),
    skipTotal: query.skipTotal === true,
  };
  for (const name of ['filter', 'sort', 'expand', 'fields'] as const) {
    const v = text(query, name);
    if (v !== undefined) spec[name] = v;
  }
  return spec;
}

/** One text for equal specs (the sharing key's query part). */
export function specKey(spec: LiveSpec): string {
  if (spec.kind === 'function') return `f\u0000${spec.fn}\u0000${JSON.stringify(spec.args)}`;
  const { collection, filter, sort, expand, fields, page, perPage, skipTotal } = spec;
  return `l\u0000${JSON.stringify([collection, filter, sort, expand, fields, page, perPage, skipTotal])}`;
}
