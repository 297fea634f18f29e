import type { TSchema } from 'typebox';
import { type Paths, pick, QUERY } from './operation.ts';
import {
  AggregateBody,
  BatchRequestBody,
  BatchResponseBody,
  CollectionBody,
  CollectionListBody,
  HealthBody,
  ListBody,
  RecordBody,
} from './schemas.ts';

/** System, collections, records and batch endpoints. */
export const CORE_PATHS: Paths = {
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
  '/api/docs/openapi.json': {
    get: { summary: 'This document', tag: 'system', fb: true, ok: { type: 'object' } as TSchema },
  },
};
