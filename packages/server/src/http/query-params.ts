import { BadRequestError } from '../errors/api-error.ts';
import type { ListParams } from '../records/list.ts';

const TRUE_RE = /^(1|t|true)$/i;
const FALSE_RE = /^(0|f|false|)$/i;

function intParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^-?\d{1,9}$/.test(v)) {
    // PocketBase answers a generic 400 here; the status and shape match, the message says what is wrong
    throw new BadRequestError(`Invalid "${name}" value: expected an integer.`, {
      [name]: { code: 'validation_invalid_int', message: 'Must be an integer.' },
    });
  }
  return Number(v);
}

function boolParam(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v === 'string' && TRUE_RE.test(v)) return true;
  if (typeof v === 'string' && FALSE_RE.test(v)) return false;
  throw new BadRequestError(`Invalid "${name}" value: expected a boolean.`, {
    [name]: { code: 'validation_invalid_bool', message: 'Must be a boolean.' },
  });
}

function textParam(v: unknown, name: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`The "${name}" parameter must be given once.`);
  if (v.length > max)
    throw new BadRequestError(`The "${name}" parameter is too long (max ${max} characters).`);
  return v;
}

/** PocketBase's list parameters from a query string: page, perPage, sort, filter, skipTotal. */
export function listParams(q: Record<string, unknown>): ListParams {
  const out: ListParams = { skipTotal: boolParam(q.skipTotal, 'skipTotal') };
  const page = intParam(q.page, 'page');
  const perPage = intParam(q.perPage, 'perPage');
  const sort = textParam(q.sort, 'sort', 2000);
  const filter = textParam(q.filter, 'filter', 3500);
  if (page !== undefined) out.page = page;
  if (perPage !== undefined) out.perPage = perPage;
  if (sort !== undefined) out.sort = sort;
  if (filter !== undefined) out.filter = filter;
  const expand = textParam(q.expand, 'expand', 2000);
  if (expand !== undefined) out.expand = expand;
  return out;
}

/** The `expand` parameter of a single-record request, if any. */
export function expandParam(q: Record<string, unknown>): string | undefined {
  return textParam(q.expand, 'expand', 2000);
}

/** The `fields` projection parameter, if any. */
export function fieldsParam(q: Record<string, unknown>): string | undefined {
  return textParam(q.fields, 'fields', 2000);
}
