import type { TSchema } from 'typebox';
import {
  AggregateBody,
  AuthBody,
  BatchRequestBody,
  BatchResponseBody,
  CollectionBody,
  CollectionListBody,
  ErrorBody,
  HealthBody,
  ListBody,
  RecordBody,
} from './schemas.ts';

type Json = Record<string, unknown>;

interface Operation {
  summary: string;
  description?: string;
  tag: string;
  /** `fb` marks ForgeBase's own endpoints (the rest follow PocketBase's API). */
  fb?: boolean;
  query?: Record<string, string>;
  body?: TSchema;
  ok: TSchema | 204;
}

const QUERY: Record<string, string> = {
  page: 'Page number, from 1.',
  perPage: 'Records per page (default 30, at most 1000).',
  sort: "Comma-separated sort expressions, `-` for descending: fields, relation paths (`author.name`), modifiers (`title:lower`), functions (`geoDistance(lon, lat, 23.3, 42.7)`), `@random`, `@rowid`, and ForgeBase's `@rank` (best `search()` matches first).",
  filter:
    "A filter in PocketBase's language (`title ~ 'x' && votes > 3`). ForgeBase adds `search(field, \"words\") = true` for full-text search over fields marked `searchable`.",
  expand: 'Relations to expand, comma-separated, nested with dots (up to 6 levels).',
  fields:
    'Fields to return, comma-separated; `*` for all, `expand.x.field`, and `field:excerpt(max, withEllipsis)`.',
  skipTotal: 'Skip counting: totalItems and totalPages come back as -1.',
};

const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, QUERY[n]!]));

/** Every endpoint, keyed by OpenAPI path then method. */
const PATHS: Record<string, Record<string, Operation>> = {
  '/api/health': { get: { summary: 'Health check', tag: 'system', ok: HealthBody } },
  '/api/collections': {
    get: {
      summary: 'List collections (superusers)',
      tag: 'collections',
      query: pick('page', 'perPage', 'sort', 'filter', 'fields', 'skipTotal'),
      ok: CollectionListBody,
    },
    post: {
      summary: 'Create a collection (superusers)',
      tag: 'collections',
      body: CollectionBody,
      ok: CollectionBody,
    },
  },
  '/api/collections/import': {
    put: {
      summary: 'Import collections (superusers)',
      tag: 'collections',
      description: 'Body `{collections: [...], deleteMissing: false}`.',
      ok: 204,
    },
  },
  '/api/collections/{c}': {
    get: { summary: 'View a collection (superusers)', tag: 'collections', ok: CollectionBody },
    patch: {
      summary: 'Update a collection (superusers)',
      tag: 'collections',
      body: CollectionBody,
      ok: CollectionBody,
    },
    delete: { summary: 'Delete a collection (superusers)', tag: 'collections', ok: 204 },
  },
  '/api/collections/{c}/truncate': {
    delete: { summary: 'Delete every record of a collection (superusers)', tag: 'collections', ok: 204 },
  },
  '/api/collections/{c}/records': {
    get: {
      summary: 'List records',
      description: 'Only records that pass the listRule come back (never a 403 for a non-null rule).',
      tag: 'records',
      query: pick('page', 'perPage', 'sort', 'filter', 'expand', 'fields', 'skipTotal'),
      ok: ListBody,
    },
    post: {
      summary: 'Create a record',
      description: 'JSON or multipart/form-data (with `@jsonPayload`); `field+`/`field-` modifiers.',
      tag: 'records',
      query: pick('expand', 'fields'),
      body: RecordBody,
      ok: RecordBody,
    },
  },
  '/api/collections/{c}/records/{id}': {
    get: { summary: 'View a record', tag: 'records', query: pick('expand', 'fields'), ok: RecordBody },
    patch: {
      summary: 'Update a record',
      tag: 'records',
      query: pick('expand', 'fields'),
      body: RecordBody,
      ok: RecordBody,
    },
    delete: { summary: 'Delete a record', tag: 'records', ok: 204 },
  },
  '/api/collections/{c}/aggregate': {
    get: {
      summary: 'Aggregate records',
      description:
        'Grouped `count()`, `count(f)`, `sum(f)`, `avg(f)`, `min(f)`, `max(f)` over the records a list with the same filter would return; the listRule applies exactly as for a list.',
      tag: 'records',
      fb: true,
      query: {
        groupBy: 'Comma-separated fields to group by (at most 5).',
        fields: 'Comma-separated aggregates (default `count()`).',
        filter: QUERY.filter!,
      },
      ok: AggregateBody,
    },
  },
  '/api/batch': {
    post: {
      summary: 'Run record writes in one transaction',
      description:
        'Each request is checked by its rules; any failure rolls back all and names the failed request.',
      tag: 'records',
      body: BatchRequestBody,
      ok: BatchResponseBody,
    },
  },
  '/api/collections/{c}/auth-with-password': {
    post: {
      summary: 'Sign in with identity and password',
      tag: 'auth',
      query: pick('expand', 'fields'),
      body: TypeObject({ identity: 'string', password: 'string' }),
      ok: AuthBody,
    },
  },
  '/api/collections/{c}/auth-refresh': {
    post: {
      summary: 'Renew the auth token of the signed-in record',
      tag: 'auth',
      query: pick('expand', 'fields'),
      ok: AuthBody,
    },
  },
  '/api/docs/openapi.json': {
    get: { summary: 'This document', tag: 'system', fb: true, ok: { type: 'object' } as TSchema },
  },
};

/** A small closed object schema from property types (for request bodies). */
function TypeObject(props: Record<string, 'string'>): TSchema {
  return {
    type: 'object',
    required: Object.keys(props),
    properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])),
  } as unknown as TSchema;
}

function operation(path: string, op: Operation): Json {
  const parameters: Json[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: m[1] === 'c' ? 'Collection name or id.' : undefined,
  }));
  for (const [name, description] of Object.entries(op.query ?? {}))
    parameters.push({ name, in: 'query', required: false, schema: { type: 'string' }, description });
  const error = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.fb ? { 'x-forgebase': true } : {}),
    parameters,
    ...(op.body ? { requestBody: { content: { 'application/json': { schema: op.body } } } } : {}),
    responses: {
      ...(op.ok === 204
        ? { 204: { description: 'Done, no content' } }
        : { 200: { description: 'OK', content: { 'application/json': { schema: op.ok } } } }),
      400: error,
      401: error,
      403: error,
      404: error,
    },
  };
}

/** The method + path pairs the document describes, in Fastify's route form (`/api/collections/:c`). */
export function documentedRoutes(): string[] {
  return Object.entries(PATHS).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/** The OpenAPI 3.1 document served at `/api/docs/openapi.json`. */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ForgeBase',
      version,
      description:
        "ForgeBase's HTTP API. Records, collections, auth and batch follow PocketBase's API; operations marked `x-forgebase` are ForgeBase's own.",
    },
    components: {
      schemas: { Error: ErrorBody },
      securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'Authorization' } },
    },
    security: [{}, { token: [] }],
    paths: Object.fromEntries(
      Object.entries(PATHS).map(([path, ops]) => [
        path,
        Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, operation(path, op)])),
      ]),
    ),
  };
}
