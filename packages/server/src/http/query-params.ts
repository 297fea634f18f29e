import type { Static } from 'typebox';
import { errors, FieldCode, fieldError, fields } from '../errors/codes.ts';
import type { ListParams } from '../records/list.ts';
import { Type } from './type.ts';

const TRUE_RE = /^(1|t|true)$/i;
const FALSE_RE = /^(0|f|false|)$/i;

/**
 * The PocketBase query parameters as route schemas: every value is text (the schema
 * checks it was sent once), parsed here with PocketBase's lenient rules (`page=` is no
 * page, `skipTotal=t` is true) and its messages.
 */
export const QUERY = {
  page: Type.Optional(Type.String({ description: 'Page number, from 1.' })),
  perPage: Type.Optional(Type.String({ description: 'Records per page (default 30, at most 1000).' })),
  sort: Type.Optional(
    Type.String({
      description:
        "Comma-separated sort expressions, `-` for descending: fields, relation paths (`author.name`), modifiers (`title:lower`), functions (`geoDistance(lon, lat, 23.3, 42.7)`), `@random`, `@rowid`, and ForgeBase's `@rank` (best `search()` matches first).",
    }),
  ),
  filter: Type.Optional(
    Type.String({
      description:
        "A filter in PocketBase's language (`title ~ 'x' && votes > 3`). ForgeBase adds `search(field, \"words\") = true` for full-text search over fields marked `searchable`.",
    }),
  ),
  expand: Type.Optional(
    Type.String({ description: 'Relations to expand, comma-separated, nested with dots (up to 6 levels).' }),
  ),
  fields: Type.Optional(
    Type.String({
      description:
        'Fields to return, comma-separated; `*` for all, `expand.x.field`, and `field:excerpt(max, withEllipsis)`.',
    }),
  ),
  skipTotal: Type.Optional(
    Type.String({ description: 'Skip counting: totalItems and totalPages come back as -1.' }),
  ),
};

/** The query of a list: page, perPage, sort, filter, expand, fields, skipTotal. */
export const ListQuery = Type.Object({
  page: QUERY.page,
  perPage: QUERY.perPage,
  sort: QUERY.sort,
  filter: QUERY.filter,
  expand: QUERY.expand,
  fields: QUERY.fields,
  skipTotal: QUERY.skipTotal,
});

/** The query of a request answering one record: expand, fields. */
export const RecordQuery = Type.Object({ expand: QUERY.expand, fields: QUERY.fields });

function intParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,9}$/.test(v)) {
    // PocketBase answers a generic 400 here; the status and shape match, the message says what is wrong
    throw errors.invalid(`Invalid "${name}" value: expected an integer.`, {
      [name]: fieldError(FieldCode.invalidInt, 'Must be an integer.'),
    });
  }
  return Number(v);
}

function boolParam(v: string | undefined, name: string): boolean {
  if (v === undefined) return false;
  if (TRUE_RE.test(v)) return true;
  if (FALSE_RE.test(v)) return false;
  throw errors.invalid(`Invalid "${name}" value: expected a boolean.`, { [name]: fields.notBool() });
}

function textParam(v: unknown, name: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw errors.badRequest(`The "${name}" parameter must be given once.`);
  if (v.length > max) throw errors.badRequest(`The "${name}" parameter is too long (max ${max} characters).`);
  return v;
}

/** PocketBase's list parameters from a query string: page, perPage, sort, filter, skipTotal. */
export function listParams(q: Partial<Static<typeof ListQuery>>): ListParams {
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
export function expandParam(q: { expand?: string | undefined }): string | undefined {
  return textParam(q.expand, 'expand', 2000);
}

/**
 * The `fields` projection parameter, if any. Any JSON answer takes it, also from routes
 * whose schema does not list it, so the value is checked here.
 */
export function fieldsParam(query: unknown): string | undefined {
  if (!query || typeof query !== 'object' || !('fields' in query)) return undefined;
  return textParam(query.fields, 'fields', 2000);
}
