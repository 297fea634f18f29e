import type { ChangeRow } from '../../changes/change-log.ts';
import { type KeyValue, mayMatchKeys } from './read-set.ts';

/** Most ids a key range remembers; a bigger range is "unknown" (its changes are never skipped). */
export const MAX_RANGE_MEMBERS = 1000;

/**
 * The records of one collection that meet a set of key equalities (`owner = 'u1'`),
 * shared by the live queries whose filter pins those keys. A change log row only holds a
 * record's new state; the range remembers who matched before, so an update that moves a
 * record out of the range (which changes a count, or shifts a later page) is not skipped.
 * `members` is undefined until it is seeded, or when the range is too big to remember.
 */
export interface KeyRange {
  readonly key: string;
  readonly collectionId: string;
  readonly keys: ReadonlyMap<string, KeyValue>;
  members: Set<string> | undefined;
  /** While the seed reads, the latest verdict of each record a change touched. */
  pending: Map<string, boolean> | undefined;
  users: number;
}

/** The identity of a range: its collection and its equalities. */
export function rangeKey(collectionId: string, keys: ReadonlyMap<string, KeyValue>): string {
  return JSON.stringify([collectionId, [...keys].sort(([a], [b]) => (a < b ? -1 : 1))]);
}

/** A new, unseeded range. */
export function newRange(collectionId: string, keys: ReadonlyMap<string, KeyValue>): KeyRange {
  return {
    key: rangeKey(collectionId, keys),
    collectionId,
    keys,
    members: undefined,
    pending: new Map(),
    users: 0,
  };
}

/**
 * Seeds a range from the ids a read returned (undefined: too many to remember). Changes that
 * arrived while the read ran are applied on top: they are at least as new as it.
 */
export function seedRange(range: KeyRange, ids: string[] | undefined): void {
  const pending = range.pending;
  range.pending = undefined;
  if (!ids) return;
  const members = new Set(ids);
  for (const [id, inside] of pending ?? []) {
    if (inside) members.add(id);
    else members.delete(id);
  }
  range.members = members.size > MAX_RANGE_MEMBERS ? undefined : members;
}

/** Whether the record was in the range before this change: true, false, or undefined (not known). */
export function wasMember(range: KeyRange, recordId: string): boolean | undefined {
  return range.members ? range.members.has(recordId) : undefined;
}

/** Moves the range past one change of its collection. */
export function applyToRange(range: KeyRange, row: ChangeRow): void {
  const inside = row.action !== 'delete' && mayMatchKeys(range.keys, row.record);
  if (range.pending) range.pending.set(row.recordId, inside);
  if (!range.members) return;
  if (inside) range.members.add(row.recordId);
  else range.members.delete(row.recordId);
  if (range.members.size > MAX_RANGE_MEMBERS) range.members = undefined;
}
