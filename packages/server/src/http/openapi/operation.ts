import type { TSchema } from 'typebox';

export type Json = Record<string, unknown>;

/** One endpoint, as the document describes it. */
export interface Operation {
  summary: string;
  description?: string;
  tag: string;
  /** `fb` marks ForgeBase's own endpoints (the rest follow PocketBase's API). */
  fb?: boolean;
  query?: Record<string, string>;
  body?: TSchema;
  ok: TSchema | 204;
  /** Served by the WebSocket upgrade, not as an HTTP route (101 Switching Protocols). */
  websocket?: boolean;
  /**
   * Another protocol served over HTTP routes (e.g. `'s3'`): no JSON schemas, the
   * description points to that protocol's documentation.
   */
  external?: string;
  /** The 200 response's media type (default application/json). */
  okType?: string;
  /** A body-less success other than 204 (201 Created, 200 for HEAD); with `ok: 204`. */
  okStatus?: number;
}

/** Descriptions of the list query parameters, shared by every list-like endpoint. */
export const QUERY: Record<string, string> = {
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

/** The named QUERY descriptions. */
export const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, QUERY[n]!]));

/** A small closed object schema from property types (for request bodies). */
export function TypeObject(props: Record<string, 'string' | 'integer' | 'boolean'>): TSchema {
  return {
    type: 'object',
    required: Object.keys(props),
    properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])),
  } as unknown as TSchema;
}

/** Paths and their operations by lower-case method. */
export type Paths = Record<string, Record<string, Operation>>;
