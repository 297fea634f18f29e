import { errors, fields } from '../errors/codes.ts';

/**
 * Replaces each `{:name}` placeholder of a filter with `params[name]` as a filter literal
 * (PocketBase's `$app.findRecordsByFilter(…, params)`): a string becomes a quoted string
 * with its quotes escaped, so a value can never change the filter's structure; numbers,
 * booleans and null are written as such. A placeholder without a value is a 400.
 *
 * @example bindFilterParams('owner = {:owner}', { owner: "o'brien" }) // → owner = 'o\'brien'
 */
export function bindFilterParams(filter: string, params: Record<string, unknown> = {}): string {
  return filter.replace(/\{:(\w+)\}/g, (_m, name: string) => {
    if (!Object.hasOwn(params, name))
      throw errors.invalid('The filter names a parameter without a value.', { [name]: fields.required() });
    return literal(name, params[name]);
  });
}

function literal(name: string, v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v))
      throw errors.invalid('Invalid filter parameter.', { [name]: fields.invalidValue() });
    return String(v);
  }
  const s = v instanceof Date ? v.toISOString().replace('T', ' ') : String(v);
  // the lexer ends a string at a quote not preceded by a backslash and unescapes only `\'`,
  // so a trailing backslash would swallow the closing quote
  if (s.endsWith('\\'))
    throw errors.invalid('A filter parameter may not end with a backslash.', {
      [name]: fields.invalidValue(),
    });
  return `'${s.replaceAll("'", "\\'")}'`;
}
