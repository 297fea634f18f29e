import { diffItems, isEmptyDiff, type LiveItem } from './diff.ts';

/**
 * A live query's result as last sent: its JSON, and for a list (anything with an `items`
 * array of records with ids) the items with their JSON and the other keys (page, totals),
 * so the next result goes out as a diff.
 */
export interface LiveResult {
  json: string;
  items?: LiveItem[];
  itemsJson?: string[];
  /** The keys beside `items` (`page`, `perPage`, `totalItems`, `totalPages`), as JSON. */
  metaJson?: string;
  meta?: Record<string, unknown>;
}

function isItems(v: unknown): v is LiveItem[] {
  return (
    Array.isArray(v) &&
    v.every((r) => r !== null && typeof r === 'object' && typeof (r as { id?: unknown }).id === 'string')
  );
}

/** Wraps a query's answer for diffing. */
export function liveResult(value: unknown): LiveResult {
  const json = JSON.stringify(value ?? null);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { json };
  const { items, ...meta } = value as Record<string, unknown>;
  if (!isItems(items)) return { json };
  return {
    json,
    items,
    itemsJson: items.map((r) => JSON.stringify(r)),
    meta,
    metaJson: JSON.stringify(meta),
  };
}

/** The record ids of a result (empty when it is not a list). */
export function resultIds(r: LiveResult | undefined): Set<string> {
  return new Set((r?.items ?? []).map((i) => i.id));
}

/**
 * The part of a `live.diff` frame after its `live` key (`"seq":…,"removed":…`), or
 * undefined when nothing the client sees changed. Lists go as item diffs plus the keys
 * beside `items`; anything else as the whole `result`.
 */
export function diffBody(prev: LiveResult, next: LiveResult, seq: number): string | undefined {
  if (prev.json === next.json) return undefined;
  if (prev.items && next.items && prev.itemsJson && next.itemsJson) {
    const d = diffItems(prev.items, prev.itemsJson, next.items, next.itemsJson);
    if (isEmptyDiff(d) && prev.metaJson === next.metaJson) return undefined;
    // the keys beside `items` (page, totals) first: the frame's own keys are the ones kept
    const meta = next.metaJson && next.metaJson !== '{}' ? `${next.metaJson.slice(1, -1)},` : '';
    return `${meta}"seq":${seq},"removed":${JSON.stringify(d.removed)},"inserted":${JSON.stringify(d.inserted)},"updated":${JSON.stringify(d.updated)}`;
  }
  return `"seq":${seq},"result":${next.json}`;
}
