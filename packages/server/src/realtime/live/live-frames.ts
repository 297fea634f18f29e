import type { ItemsDiff, LiveItem } from './diff.ts';

/**
 * The live query frames of `/api/ws` (docs/live-queries.md), as types a client can import
 * (`import type … from '@forgebase/server/live-frames'`): nothing here runs.
 */

/** PocketBase's list parameters of a live list query; only `collection` is required. */
export interface LiveListQuery {
  collection: string;
  filter?: string;
  sort?: string;
  expand?: string;
  fields?: string;
  page?: number;
  perPage?: number;
  skipTotal?: boolean;
}

/** Client → server: open a live query named `id` (a list, or a query function). */
export type LiveFrame =
  | { type: 'live'; id: string; query: LiveListQuery }
  | { type: 'live'; id: string; function: string; args?: unknown };

/** Client → server: stop the live query `live`; answered with `ack` (or `error` 404). */
export interface UnliveFrame {
  type: 'unlive';
  id?: string;
  live: string;
}

/** PocketBase's list shape: the `result` of a live list query. */
export interface LiveList<T extends LiveItem = LiveItem> {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: T[];
}

/** Server → client: the reply to a `live` frame, with the full first result. */
export interface LiveResultFrame<R = unknown> {
  type: 'live.result';
  id: string;
  live: string;
  /** The newest change seq the node had received when the query ran. */
  seq: number;
  result: R;
}

/**
 * Server → client: the result changed. Lists (results with `items` of records with ids)
 * come as an item diff plus the keys beside `items`; anything else as the whole `result`.
 */
export type LiveDiffFrame =
  | ({ type: 'live.diff'; live: string; seq: number } & ItemsDiff & Partial<Omit<LiveList, 'items'>>)
  | { type: 'live.diff'; live: string; seq: number; result: unknown };

/** Server → client: the live query ended (its collection went away, its rule closed). */
export interface LiveErrorFrame {
  type: 'live.error';
  live: string;
  status: number;
  message: string;
}
