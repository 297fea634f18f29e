import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';

/**
 * What `@request.*` means while a filter or rule runs: who asks, and what they sent.
 * Header names are lowercased with `-` written as `_` (PocketBase: `@request.headers.x_token`).
 */
export interface RequestInfo {
  auth?: { collection: Collection; record: RecordValues };
  method: string;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body: Record<string, unknown>;
  /** Where the request comes from: `default`, `realtime`, `expand`, ... */
  context: string;
}

/** An anonymous GET with nothing sent (tests and internal calls). */
export function emptyRequest(): RequestInfo {
  return { method: 'GET', query: {}, headers: {}, body: {}, context: 'default' };
}
