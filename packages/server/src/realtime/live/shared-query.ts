import type { ChangeRow } from '../../changes/change-log.ts';
import type { RealtimeClient } from '../client.ts';
import type { KeyRange } from './key-range.ts';
import type { LiveResult } from './live-result.ts';
import type { BoundQuery } from './live-runner.ts';
import type { LiveSpec } from './live-spec.ts';
import { mayMatchKeys, type ReadSet, touches } from './read-set.ts';

/** One client's live query: a handle on a shared query. */
export interface LiveSub {
  client: RealtimeClient;
  /** The handle the client named it by (`live` in every frame about it). */
  id: string;
  spec: LiveSpec;
  query: SharedQuery;
}

/** One query as many subscribers of one viewer class share it. */
export interface SharedQuery {
  bound: BoundQuery;
  readSet: ReadSet;
  range: KeyRange | undefined;
  subs: Set<LiveSub>;
  result: LiveResult | undefined;
  ids: Set<string>;
  /** The newest change seq the result is known to include. */
  seq: number;
  /** The first run, which every subscriber that joins meanwhile awaits. */
  first: Promise<void>;
  /** When (performance.now) the oldest change not yet in the result arrived. */
  since: number | undefined;
  /** Subscribers joining: they wait for a run that starts after they asked (they see their own writes). */
  joiners: { resolve(joined: boolean): void; reject(e: unknown): void }[];
  closed: boolean;
}

/** A shared query before its first run. */
export function newSharedQuery(bound: BoundQuery, seq: number): SharedQuery {
  return {
    bound,
    readSet: bound.readSet,
    range: undefined,
    subs: new Set(),
    result: undefined,
    ids: new Set(),
    seq,
    first: Promise.resolve(),
    since: undefined,
    joiners: [],
    closed: false,
  };
}

/**
 * Whether a change can alter a query's result: false only when it surely cannot. `before`
 * says whether the record was in the query's key range before the change (undefined: not known).
 */
export function affects(q: SharedQuery, row: ChangeRow, before: boolean | undefined): boolean {
  const rs = q.readSet;
  if (!touches(rs, row)) return false;
  if (!q.result || row.collectionId !== rs.main || q.ids.has(row.recordId)) return true;
  if (row.action !== 'delete' && mayMatchKeys(rs.keys, row.record)) return true;
  // not in the page, and not in the keys now: only a count or a later page can change,
  // and only when the record was in the range before
  return q.bound.outOfPage && before !== false;
}
